import Foundation
import Interop
import Tokenization
import Testing
import TestSupport

/// The model commands as a user runs them (through the binary), against transformers' fixtures
/// (Scripts/reference/make-roberta-fixture.py, make-gptj-fixture.py): info, convert both ways in
/// float32 and bfloat16, from and to BERTIN's Flax checkpoints, from mesh-transformer-jax, eval with
/// gradients, fill-mask, generate, compare, plan and bench.
@Suite struct ModelCommandTests {
    static let models = MPITrainingTests.root.appendingPathComponent("Tests/ModelsTests/Fixtures")

    static func run(_ arguments: [String]) throws -> MPITrainingTests.Outcome { try MPITrainingTests.runBertin(ranks: nil, arguments) }

    static func json(_ output: String) throws -> [[String: Any]] {
        try output.split(separator: "\n").filter { $0.hasPrefix("{") }.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    static func temporary(_ name: String) -> String { MPITrainingTests.folder(name).path }

    /// A dataset of an HDF5 file as HDF5's own h5dump reads it (little-endian float32).
    static func h5floats(_ file: String, _ dataset: String) throws -> [Float] {
        let out = temporary("h5dump") + ".bin"
        let status = try ChildProcess("/usr/bin/env", ["h5dump", "-d", dataset, "-b", "LE", "-o", out, file],
                                      environment: ProcessInfo.processInfo.environment).finish(seconds: 60).status
        #expect(status == 0, "h5dump -d \(dataset) \(file) (Debian's hdf5-tools)")
        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// A transformers directory imported with `convert --from-hf`.
    static func imported(_ fixture: String) throws -> String {
        let checkpoint = temporary(fixture) + ".h5"
        let outcome = try run(["convert", "--from-hf", models.appendingPathComponent(fixture).path, "--output", checkpoint])
        #expect(outcome.status == 0, "\(outcome.output)")
        return checkpoint
    }

    @Test func infoNamesTheMachineAndItsLibraries() throws {
        let outcome = try Self.run(["info", "--threads", "1"])
        #expect(outcome.status == 0, "\(outcome.output)")
        let keys = outcome.output.split(separator: "\n").compactMap { $0.split(separator: ":").first.map(String.init) }
        #expect(Array(keys.prefix(9)) == ["CPU", "ISA", "kernels", "OpenBLAS", "threads", "sgemm", "MPI", "HDF5", "zlib"], "\(outcome.output)")
        #expect(outcome.output.contains("threads:  1 (OpenBLAS reports 1)"), "\(outcome.output)")
        #expect(outcome.output.contains("GFLOP/s on 1 thread (512×3072×768)"), "\(outcome.output)")
    }

    /// convert --from-hf then --to-hf gives transformers' tensors back bit for bit; --dtype bfloat16
    /// writes what torch's `.to(torch.bfloat16)` saved; a bfloat16 directory imports exactly.
    @Test func convertBothWaysInFloat32AndBFloat16() throws {
        let checkpoint = try Self.imported("tiny-roberta")
        let original = try SafeTensorsFile(path: Self.models.appendingPathComponent("tiny-roberta/model.safetensors").path)
        let torchBF16 = try SafeTensorsFile(path: Self.models.appendingPathComponent("tiny-roberta-bf16/model.safetensors").path)
        for (dtype, reference) in [("float32", original), ("bfloat16", torchBF16)] {
            let exported = Self.temporary("export-\(dtype)")
            let outcome = try Self.run(["convert", "--checkpoint", checkpoint, "--to-hf", exported, "--dtype", dtype])
            #expect(outcome.status == 0, "\(outcome.output)")
            let ours = try SafeTensorsFile(path: exported + "/model.safetensors")
            #expect(Set(ours.tensors.keys) == Set(reference.tensors.keys))
            for name in reference.tensors.keys.sorted() {
                let (a, b) = (try ours.info(name), try reference.info(name))
                #expect(a.dtype == b.dtype && a.shape == b.shape, "\(dtype) \(name): \(a) vs \(b)")
                #expect(differingBits(try ours.floats(name), try reference.floats(name)) == 0, "\(dtype) \(name)")
            }
        }
        // The bfloat16 directory imports to its values widened exactly.
        let fromBF16 = try Self.imported("tiny-roberta-bf16")
        let again = Self.temporary("export-bf16-import")
        #expect(try Self.run(["convert", "--checkpoint", fromBF16, "--to-hf", again]).status == 0)
        let widened = try SafeTensorsFile(path: again + "/model.safetensors")
        for name in torchBF16.tensors.keys.sorted() {
            #expect(try widened.info(name).dtype == "F32")
            #expect(differingBits(try widened.floats(name), try torchBF16.floats(name)) == 0, "\(name) widened")
        }
    }

    /// BERTIN's Flax checkpoint through the binary: --from-flax then --to-flax gives flax's own
    /// msgpack files back byte for byte; --from-mtj then --to-hf gives the transformers model the
    /// mesh-transformer-jax fixture defines, bit for bit.
    @Test func convertFromFlaxAndBackAndFromMeshTransformer() throws {
        let flax = Self.models.appendingPathComponent("flax-roberta/checkpoint-2")
        let checkpoint = Self.temporary("flax") + ".h5"
        let imported = try Self.run(["convert", "--from-flax", flax.path, "--output", checkpoint])
        #expect(imported.status == 0 && imported.output.contains("wrote \(checkpoint): roberta, 22560 parameters, step 3, Adam state after 3 updates"), "\(imported.output)")
        let exported = Self.temporary("flax-export")
        #expect(try Self.run(["convert", "--checkpoint", checkpoint, "--to-flax", exported]).status == 0)
        for file in ["flax_model.msgpack", "optimizer_state.msgpack"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: "\(exported)/\(file)")) == (try Data(contentsOf: flax.appendingPathComponent(file))), "\(file)")
        }
        let mtj = Self.temporary("mtj") + ".h5"
        let fromMTJ = try Self.run(["convert", "--from-mtj", Self.models.appendingPathComponent("mtj-gptj/step_7").path,
                                    "--config", Self.models.appendingPathComponent("tiny-gptj/config.json").path, "--output", mtj])
        #expect(fromMTJ.status == 0 && fromMTJ.output.contains("its 32224 parameters (every shard's copies) are our 31328"), "\(fromMTJ.output)")
        let hf = Self.temporary("mtj-hf")
        #expect(try Self.run(["convert", "--checkpoint", mtj, "--to-hf", hf]).status == 0)
        let (ours, reference) = (try SafeTensorsFile(path: hf + "/model.safetensors"),
                                 try SafeTensorsFile(path: Self.models.appendingPathComponent("mtj-gptj-reference/model.safetensors").path))
        for name in reference.tensors.keys.sorted() where try reference.info(name).dtype == "F32" {
            #expect(differingBits(try ours.floats(name), try reference.floats(name)) == 0, "\(name)")
        }
    }

    /// eval: transformers' loss on the fixture batch, and with --gradients every parameter's
    /// gradient, read back with h5dump (tolerances as RobertaReferenceTests justifies them).
    @Test func evalGivesTransformersLossAndGradients() throws {
        let checkpoint = try Self.imported("tiny-roberta")
        let expected = try SafeTensorsFile(path: Self.models.appendingPathComponent("tiny-roberta-expected.safetensors").path)
        let shape = try expected.info("input_ids").shape
        func rows(_ name: String) throws -> [[Int64]] {
            let values = try expected.integers(name)
            return (0..<shape[0]).map { Array(values[($0 * shape[1])..<(($0 + 1) * shape[1])]) }
        }
        let batch = Self.temporary("batch") + ".json"
        try JSONSerialization.data(withJSONObject: ["input_ids": try rows("input_ids"), "attention_mask": try rows("attention_mask"), "labels": try rows("labels")])
            .write(to: URL(fileURLWithPath: batch))
        let gradients = Self.temporary("gradients") + ".h5"
        let outcome = try Self.run(["eval", "--checkpoint", checkpoint, "--batch", batch, "--gradients", gradients, "--threads", "1"])
        #expect(outcome.status == 0, "\(outcome.output)")
        let line = try #require(try Self.json(outcome.output).first)
        let loss = line["loss"] as! Double, theirs = Double(try expected.floats("loss")[0])
        #expect(abs(loss - theirs) <= 1e-5 * abs(theirs), "loss \(loss), transformers \(theirs)")
        let labelled = try expected.integers("labels").filter { $0 != -100 }.count
        #expect(line["labelled_tokens"] as? Int == labelled)
        let names = expected.tensors.keys.filter { $0.hasPrefix("gradients.") && !$0.hasSuffix("attention.self.key.bias") }.sorted()
        #expect(names.count > 10)
        for name in names {
            let reference = try expected.floats(name)
            let ours = try Self.h5floats(gradients, "/gradients/" + name.dropFirst("gradients.".count))
            #expect(ours.count == reference.count, "\(name)")
            let squares: Double = reference.reduce(0.0) { $0 + Double($1) * Double($1) }
            let rms: Double = (squares / Double(max(1, reference.count))).squareRoot()
            var worst = 0.0
            for (a, e) in zip(ours, reference) {
                let bound: Double = 1e-4 * abs(Double(e)) + 1e-4 * rms + 1e-12
                worst = max(worst, abs(Double(a) - Double(e)) / bound)
            }
            #expect(worst <= 1, "\(name): worst element at \(worst)x the bound")
        }
    }

    /// fill-mask on a fixture row, with --mask-id set to a token that row holds once: the model sees
    /// transformers' input unchanged, so the predictions are the softmax of transformers' logits there.
    @Test func fillMaskPredictsFromTransformersLogits() throws {
        let checkpoint = try Self.imported("tiny-roberta")
        let expected = try SafeTensorsFile(path: Self.models.appendingPathComponent("tiny-roberta-expected.safetensors").path)
        let (t, v) = (try expected.info("input_ids").shape[1], try expected.info("logits").shape[2])
        let row = Array(try expected.integers("input_ids").prefix(t))
        #expect(try expected.integers("attention_mask").prefix(t).allSatisfy { $0 == 1 }, "row 0 is unpadded")
        let position = try #require((1..<(t - 1)).first { p in row.filter { $0 == row[p] }.count == 1 })
        let outcome = try Self.run(["fill-mask", "--checkpoint", checkpoint, "--ids", row.map(String.init).joined(separator: " "),
                                    "--mask-id", String(row[position]), "--top", "5"])
        #expect(outcome.status == 0, "\(outcome.output)")
        let line = try #require(try Self.json(outcome.output).first)
        #expect(line["position"] as? Int == position)
        let all: [Float] = try expected.floats("logits")
        let logits: [Double] = all[(position * v)..<((position + 1) * v)].map { Double($0) }
        let top: Double = logits.max()!
        let total: Double = logits.map { Foundation.exp($0 - top) }.reduce(0, +)
        let ranked: [(offset: Int, element: Double)] = Array(logits.enumerated().sorted { $0.element > $1.element }.prefix(5))
        let predictions = line["predictions"] as! [[String: Any]]
        #expect(predictions.map { $0["id"] as! Int } == ranked.map(\.offset))
        for (prediction, entry) in zip(predictions, ranked) {
            let probability = prediction["probability"] as! Double
            let theirs: Double = Foundation.exp(entry.element - top) / total
            #expect(abs(probability - theirs) <= 1e-5 * theirs, "\(probability) vs \(theirs)")
        }
    }

    /// generate: transformers' greedy continuation; sampling repeats with a seed and changes with another.
    @Test func generateGreedyAsTransformersAndSamplingBySeed() throws {
        let checkpoint = try Self.imported("tiny-gptj")
        let expected = try SafeTensorsFile(path: Self.models.appendingPathComponent("tiny-gptj-expected.safetensors").path)
        let prompt = try expected.integers("prompt").map(String.init).joined(separator: " "), greedy = try expected.integers("greedy").map(Int.init)
        let outcome = try Self.run(["generate", "--checkpoint", checkpoint, "--ids", prompt, "--max-new-tokens", String(greedy.count), "--threads", "1"])
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(try Self.json(outcome.output).first?["ids"] as? [Int] == greedy)
        func sample(seed: Int) throws -> [Int] {
            let run = try Self.run(["generate", "--checkpoint", checkpoint, "--ids", prompt, "--max-new-tokens", "20", "--temperature", "1.5",
                                    "--top-k", "40", "--seed", String(seed), "--threads", "1"])
            #expect(run.status == 0, "\(run.output)")
            return try Self.json(run.output).first?["ids"] as? [Int] ?? []
        }
        let (first, again, other) = (try sample(seed: 7), try sample(seed: 7), try sample(seed: 8))
        #expect(first.count == 20 && first == again, "the same seed draws the same tokens")
        #expect(first != other, "another seed draws others")
        #expect(first != greedy, "temperature 1.5 does not just follow the greedy path")
    }

    /// plan on BERTIN's recipe over 8 ranks: the parameter count transformers reports for
    /// roberta-base's RobertaForMaskedLM, and ZeRO's arithmetic for parameters and moments
    /// (4Ψ and 8Ψ bytes replicated; 4Ψ/8 at stage 3 and 8Ψ/8 from stage 1 on).
    @Test func planCountsParametersAndShardsState() throws {
        let outcome = try Self.run(["plan", "--recipe", MPITrainingTests.root.appendingPathComponent("Recipes/bertin-base-gaussian.yaml").path, "--ranks", "8"])
        #expect(outcome.status == 0, "\(outcome.output)")
        let psi = 124_697_433.0
        #expect(outcome.output.contains("roberta, 124697433 parameters; 8 devices on 8 rank(s)"), "\(outcome.output)")
        func row(_ label: String) -> [String] {
            let line = outcome.output.split(separator: "\n").first { $0.hasPrefix(label) }.map(String.init) ?? ""
            return line.dropFirst(label.count).split(separator: " ").map(String.init)
        }
        let gib = { (bytes: Double) in String(format: "%.2f", bytes / Double(1 << 30)) }
        #expect(row("parameters (fp32)") == [gib(4 * psi), gib(4 * psi), gib(4 * psi), gib(4 * psi / 8)], "\(outcome.output)")
        #expect(row("AdamW moments") == [gib(8 * psi), gib(8 * psi / 8), gib(8 * psi / 8), gib(8 * psi / 8)], "\(outcome.output)")
    }

    /// compare on checkpoints of one run (the same file, and two steps), and generate from text with
    /// a tokenizer: the text it prints is the tokenizer's decoding of the ids it prints.
    @Test func compareAndGenerateWithATokenizerOnTrainedCheckpoints() throws {
        let run = MPITrainingTests.folder("commands-gptj")
        let trained = try MPITrainingTests.trainGPTJ(ranks: nil, output: run, ["phases.0.steps=2", "phases.0.warmup_steps=1", "checkpoint_every=1", "keep_checkpoints=5"])
        #expect(trained.status == 0, "\(trained.output)")
        let (one, two) = (run.appendingPathComponent("step-00000001.h5").path, run.appendingPathComponent("step-00000002.h5").path)
        let same = try Self.run(["compare", one, one])
        #expect(same.status == 0 && same.output.contains("0 of ") && same.output.contains("step 1 vs 1"), "\(same.output)")
        let different = try Self.run(["compare", one, two])
        #expect(different.status == 1 && different.output.contains("step 1 vs 2") && !different.output.contains(" 0 of "), "\(different.output)")

        let directory = MPITrainingTests.root.appendingPathComponent("Tests/CorpusTests/Fixtures/tokenizer").path
        let outcome = try Self.run(["generate", "--checkpoint", two, "--tokenizer", directory, "--max-new-tokens", "12", "--temperature", "1",
                                    "--seed", "5", "--threads", "1", "El perro de"])
        #expect(outcome.status == 0, "\(outcome.output)")
        let line = try #require(try Self.json(outcome.output).first, "\(outcome.output)")
        let ids = try #require(line["ids"] as? [Int]), text = try #require(line["text"] as? String)
        #expect(!ids.isEmpty && ids.count <= 12)
        #expect(text == (try BPETokenizer(directory: directory).decode(ids.map(Int32.init))), "\(line)")
    }

    @Test func benchTrainReportsItsStep() throws {
        let outcome = try Self.run(["bench", "train", "--model", "roberta", "--hidden", "32", "--layers", "1", "--heads", "2", "--intermediate", "64",
                                    "--sequence-length", "16", "--batch", "2", "--warmup", "1", "--steps", "2", "--threads", "1"])
        #expect(outcome.status == 0, "\(outcome.output)")
        let report = try #require(try Self.json(outcome.output).first, "\(outcome.output)")
        #expect((report["tokensPerSecond"] as? Double ?? 0) > 0 && (report["secondsPerStep"] as? Double ?? 0) > 0)
        // 1 layer of 32 wide, 50,265 tokens, 514 positions: embeddings, the block, the head.
        #expect((report["parameters"] as? Int ?? 0) > 50_265 * 32, "\(report)")
    }
}
