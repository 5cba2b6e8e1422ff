import Checkpointing
import Foundation
import Interop
import Kernels
import Models
import Objectives
import Optimization
import Tensor
import Testing
import TestSupport

/// BERTIN's own checkpoints, made by the real stack (Scripts/reference/make-flax-fixture.py: a tiny
/// FlaxRobertaForMaskedLM trained 3 steps with optax.adamw as BERTIN configured it, saved in its
/// checkpoint layout), imported, continued one update and written back.
@Suite struct FlaxConversionTests {
    static let folder = "flax-roberta/checkpoint-2"
    let expected: SafeTensorsFile

    init() throws { expected = try SafeTensorsFile(path: Fixtures.path("flax-roberta/expected.safetensors")) }

    /// `temporaryPath(name)` with its folder made.
    static func scratch(_ name: String) throws -> String {
        let path = temporaryPath(name)
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        return path
    }

    /// The fixture's Flax path of one of our parameters, written out for this test (the importer
    /// has its own rule): LayerNorm weights are scales, embedding tables `embedding`, Linear
    /// weights transposed kernels.
    static func flaxName(_ name: String) -> (path: String, transposed: Bool) {
        var path = name.replacingOccurrences(of: ".", with: "/")
        if path.hasSuffix("LayerNorm/weight") || path.hasSuffix("layer_norm/weight") { path = String(path.dropLast("weight".count)) + "scale"; return (path, false) }
        if path.hasSuffix("_embeddings/weight") { path = String(path.dropLast("weight".count)) + "embedding"; return (path, false) }
        if path.hasSuffix("/weight") { return (String(path.dropLast("weight".count)) + "kernel", true) }
        return (path, false)
    }

    /// The fixture's array `prefix/<Flax path of name>` in our orientation.
    func values(_ prefix: String, _ entry: ParameterStore.Entry) throws -> [Float] {
        let (path, transposed) = Self.flaxName(entry.name)
        let values = try expected.floats("\(prefix)/\(path)")
        guard transposed else { return values }
        let (rows, columns) = (entry.shape[1], entry.shape[0])  // the Flax kernel is [in, out]
        return (0..<values.count).map { values[($0 % rows) * columns + $0 / rows] }
    }

    func imported() throws -> (store: ParameterStore, optimizer: AdamW, contents: CheckpointContents, path: String) {
        let path = try Self.scratch("bertin.h5")
        let result = try FlaxConversion.importFolder(Fixtures.path(Self.folder), to: path)
        #expect(result.step == 3 && result.optimizerCount == 3 && result.notes == ["Adam state: 3 updates applied"], "\(result.notes)")
        let store = try result.model.makeParameterStore()
        let optimizer = try AdamW(configuration: Self.bertin, parameters: store, decayMask: .flaxExamples)
        let contents = try Checkpoint.read(from: path, into: store, optimizer: optimizer)
        return (store, optimizer, contents, path)
    }

    /// BERTIN's run_mlm_flax_stream.py optimizer for the fixture's 10-step run.
    static let bertin = AdamWConfiguration(schedule: .warmupThenLinearDecay(peak: 6e-4, warmupSteps: 2, totalSteps: 10))

    @Test func importKeepsParametersMomentsCountAndStepBitForBit() throws {
        let (store, optimizer, contents, _) = try imported()
        #expect(contents.progress.step == 3 && optimizer.stepCount == 3)
        for entry in store.entries {
            let slice = { (buffer: UnsafeMutableBufferPointer<Float>) in Array(buffer[entry.offset..<(entry.offset + entry.count)]) }
            #expect(differingBits(slice(store.values), try values("state/params", entry)) == 0, "\(entry.name)")
            #expect(differingBits(slice(optimizer.firstMoment.values), try values("state/mu", entry)) == 0, "mu \(entry.name)")
            #expect(differingBits(slice(optimizer.secondMoment.values), try values("state/nu", entry)) == 0, "nu \(entry.name)")
        }
    }

    /// The update after the import, from the fixture's gradient, against optax's own 4th update
    /// (same rate, bias correction for count 4, BERTIN's decay mask, which decays the LM head's
    /// layer_norm scale).
    @Test func oneMoreUpdateEqualsOptaxs() throws {
        let (store, optimizer, _, _) = try imported()
        for entry in store.entries {
            for (i, value) in try values("gradients", entry).enumerated() { store.gradients[entry.offset + i] = value }
        }
        let rate = Self.bertin.schedule(optimizer.stepCount)
        #expect(rate == (try expected.floats("next/learning_rate"))[0], "rate \(rate)")
        try optimizer.step(store)
        #expect(optimizer.stepCount == Int(try expected.integers("next/count")[0]))
        // Within float32 rounding of the terms each value sums: mu = β1·mu + (1−β1)·g can cancel to
        // near zero, so its bound is a few ulps of the terms, not of the result; nu's terms are
        // non-negative; a parameter moves little from its old value.
        let (beta1, beta2) = (Self.bertin.beta1, Self.bertin.beta2)
        var worst: [String: (ulps: Float, name: String)] = [:]
        for entry in store.entries {
            let (oldParams, oldMu, oldNu, gradient) = (try values("state/params", entry), try values("state/mu", entry), try values("state/nu", entry), try values("gradients", entry))
            for (prefix, buffer) in [("next/params", store.values), ("next/mu", optimizer.firstMoment.values), ("next/nu", optimizer.secondMoment.values)] {
                let ours = Array(buffer[entry.offset..<(entry.offset + entry.count)]), theirs = try values(prefix, entry)
                for i in 0..<entry.count {
                    let scale: Float
                    switch prefix {
                    case "next/mu": scale = abs(beta1 * oldMu[i]) + abs((1 - beta1) * gradient[i])
                    case "next/nu": scale = beta2 * oldNu[i] + (1 - beta2) * gradient[i] * gradient[i]
                    default:
                        // p − lr·(m̂/(√v̂ + ε) + wd·p): the terms are p and lr times the update.
                        let (mu, nu) = (try values("next/mu", entry)[i], try values("next/nu", entry)[i])
                        let step = AdamWStep(learningRate: rate, beta1: beta1, beta2: beta2, epsilon: Self.bertin.epsilon,
                                             weightDecay: Self.bertin.weightDecay, step: optimizer.stepCount)
                        let update = (mu / step.correction1) / ((nu / step.correction2).squareRoot() + step.epsilon)
                        scale = abs(oldParams[i]) + rate * (abs(update) + step.weightDecay * abs(oldParams[i]))
                    }
                    let ulps = abs(ours[i] - theirs[i]) / max(scale, .leastNormalMagnitude).ulp
                    if ulps > worst[prefix, default: (0, "")].ulps { worst[prefix] = (ulps, "\(entry.name)[\(i)]") }
                }
            }
        }
        for (prefix, found) in worst.sorted(by: { $0.key < $1.key }) {
            print("one update after the Flax import: \(prefix) at most \(found.ulps) ulps (of the summed terms) from optax's (\(found.name))")
        }
        // The moments: each side rounds its two products and sum ((1 − β2)·g·g is associated
        // differently), so up to 2 ulps.
        #expect(worst["next/mu", default: (0, "")].ulps <= 2 && worst["next/nu", default: (0, "")].ulps <= 2, "\(worst)")
        // The parameters: optax takes 1 − β^t in float32, we (and PyTorch) in double; at t = 4 its
        // corrections are 3 ulps (1 − 0.9^4) and 9 ulps (1 − 0.98^4) from ours, which moves the
        // update by 2.6e-7 + 4.3e-7 relative: up to 12 ulps of a term in [2^k, 2^k+1), plus the
        // operations' own roundings.
        #expect(worst["next/params", default: (0, "")].ulps <= 14, "\(worst)")
        // With `bertin`'s mask (no decay on any LayerNorm scale) the LM head's scale comes out otherwise.
        let (other, _, _, path) = try imported()
        let roleMask = try AdamW(configuration: Self.bertin, parameters: other, decayMask: .bertin)
        _ = try Checkpoint.read(from: path, into: other, optimizer: roleMask)
        for entry in other.entries {
            for (i, value) in try values("gradients", entry).enumerated() { other.gradients[entry.offset + i] = value }
        }
        try roleMask.step(other)
        let scale = try other.entry(named: "lm_head.layer_norm.weight")
        #expect(differingElements(Array(other.values[scale.offset..<(scale.offset + scale.count)]), try values("next/params", scale)) > 0)
    }

    @Test func importedModelGivesFlaxsLossAndLogits() throws {
        let model = try FlaxConversion.load(directory: Fixtures.path(Self.folder))
        guard let roberta = model.model as? RobertaForMaskedLM else { Issue.record("not RoBERTa"); return }
        let batch = try fixtureBatch(expected, prefix: "eval/")
        let loss = Double(try model.parameters.value { p in try MaskedLanguageModeling(model: roberta).loss(p, batch: batch, mode: .evaluation).loss }.scalar)
        let flax = Double(try expected.floats("eval/loss")[0])
        print("loss after the Flax import: ours \(loss), Flax \(flax)")
        #expect(abs(loss - flax) <= 1e-5 * abs(flax))
        let logits = try model.parameters.value { p in try roberta.logits(p, inputIDs: batch.inputIDs, attentionMask: batch.attentionMask, mode: .evaluation) }
        let reference = try expected.floats("eval/logits")
        #expect(logits.scalars.count == reference.count)
        let worst = zip(logits.scalars, reference).map { abs(Double($0) - Double($1)) }.max() ?? .infinity
        #expect(worst <= 1e-5, "largest logit difference \(worst)")
    }

    @Test func bfloat16ParametersWidenExactly() throws {
        let path = try Self.scratch("bf16.h5")
        let result = try FlaxConversion.importFolder(Fixtures.path("flax-roberta/pretrained-bf16"), to: path)
        #expect(result.notes == ["parameters stored as bfloat16 were widened to float32",
                                 "no optimizer_state.msgpack: weights only, the optimizer starts fresh"])
        #expect(result.step == 0 && result.optimizerCount == nil)
        let store = try result.model.makeParameterStore()
        _ = try Checkpoint.read(from: path, into: store)
        for entry in store.entries {
            // flax's to_bf16 (jnp astype): round to nearest, ties to even.
            let rounded = try values("state/params", entry).map { value -> Float in
                let bits = value.bitPattern
                return Float(bitPattern: (bits &+ 0x7fff &+ ((bits >> 16) & 1)) & 0xffff_0000)
            }
            #expect(differingBits(Array(store.values[entry.offset..<(entry.offset + entry.count)]), rounded) == 0, "\(entry.name)")
        }
        #expect(message { _ = try Checkpoint.read(from: path, into: store, optimizer: try AdamW(configuration: Self.bertin, parameters: store)) }
                == "\(path): holds no optimizer state (converted weights?): cannot resume training from it")
    }

    /// Import then export gives back BERTIN's files byte for byte: the same tree order, encodings
    /// and values (so Flax loads it and optax continues from it, as the fixture script's --check
    /// confirmed by hand).
    @Test func exportGivesBackBERTINsFilesByteForByte() throws {
        let (_, _, _, path) = try imported()
        let out = try Self.scratch("flax")
        try FlaxConversion.exportCheckpoint(path, to: out)
        for file in ["flax_model.msgpack", "optimizer_state.msgpack"] {
            let ours = try Data(contentsOf: URL(fileURLWithPath: "\(out)/\(file)"))
            let theirs = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("\(Self.folder)/\(file)")))
            #expect(ours == theirs, "\(file): \(ours.count) bytes against \(theirs.count)")
        }
        #expect(try String(contentsOfFile: "\(out)/training_state.json", encoding: .utf8) == "{\"step\": 3}")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/config.json"))) as? [String: Any]
        #expect(config?["model_type"] as? String == "roberta" && config?["vocab_size"] as? Int == 96 && config?["hidden_size"] as? Int == 32)
    }

    // MARK: - Damaged folders

    /// A copy of the fixture folder with `change` applied.
    func damaged(_ change: (URL) throws -> Void) throws -> String { try damagedCopy(of: Self.folder, change) }

    func loadMessage(_ folder: String) -> String { message { _ = try FlaxConversion.load(directory: folder) } }

    @Test func truncatedParametersAreNamed() throws {
        let folder = try damaged { url in
            let file = url.appendingPathComponent("flax_model.msgpack")
            let data = try Data(contentsOf: file)
            try data.prefix(50_000).write(to: file)
        }
        let text = loadMessage(folder)
        #expect(text.hasPrefix("\(folder)/flax_model.msgpack: is not a flax msgpack file: at byte "), "\(text)")
        #expect(text.contains("runs past the end") || text.contains("truncated"), "\(text)")
    }

    @Test func missingFilesAreNamed() throws {
        let noParameters = try damaged { try FileManager.default.removeItem(at: $0.appendingPathComponent("flax_model.msgpack")) }
        #expect(loadMessage(noParameters) == "\(noParameters)/flax_model.msgpack: missing")
        let noConfig = try damaged { try FileManager.default.removeItem(at: $0.appendingPathComponent("config.json")) }
        #expect(loadMessage(noConfig) == "\(noConfig)/config.json: cannot read the file (missing?)")
    }

    @Test func aWrongTreeIsNamed() throws {
        // The parameter file where the optimizer state belongs: no Adam element.
        let swapped = try damaged { url in
            try FileManager.default.removeItem(at: url.appendingPathComponent("optimizer_state.msgpack"))
            try FileManager.default.copyItem(at: url.appendingPathComponent("flax_model.msgpack"), to: url.appendingPathComponent("optimizer_state.msgpack"))
        }
        #expect(loadMessage(swapped) == "\(swapped)/optimizer_state.msgpack: holds no Adam state (an element with count, mu and nu): not optax.adamw's state")
        // The optimizer state where the parameters belong: its top level is the optax tuple.
        let reversed = try damaged { url in
            try FileManager.default.removeItem(at: url.appendingPathComponent("flax_model.msgpack"))
            try FileManager.default.copyItem(at: url.appendingPathComponent("optimizer_state.msgpack"), to: url.appendingPathComponent("flax_model.msgpack"))
        }
        #expect(loadMessage(reversed) == "\(reversed)/flax_model.msgpack: has no parameter roberta/embeddings/word_embeddings/embedding, which roberta.embeddings.word_embeddings.weight needs")
    }

    @Test func aShapeMismatchIsNamed() throws {
        let folder = try damaged { url in
            let file = url.appendingPathComponent("config.json")
            let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "\"vocab_size\": 96", with: "\"vocab_size\": 95")
            try text.write(to: file, atomically: true, encoding: .utf8)
        }
        #expect(loadMessage(folder) == "\(folder)/flax_model.msgpack: parameter roberta/embeddings/word_embeddings/embedding has shape [96, 32], the model's config implies [95, 32]")
    }

    @Test func aHugeLengthIsRefusedBeforeAllocating() throws {
        // A map header claiming 2^32 - 1 entries, then nothing: refused from the bytes left.
        let folder = try damaged { url in try Data([0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 0x61]).write(to: url.appendingPathComponent("flax_model.msgpack")) }
        #expect(loadMessage(folder) == "\(folder)/flax_model.msgpack: is not a flax msgpack file: at byte 5: a map of 4294967295 entries cannot fit in the 2 bytes left")
        let deep = try damaged { url in try Data(repeating: 0x91, count: 100_000).write(to: url.appendingPathComponent("flax_model.msgpack")) }
        #expect(loadMessage(deep) == "\(deep)/flax_model.msgpack: is not a flax msgpack file: at byte 65: values nest deeper than 64 levels")
    }

    @Test func aBadTrainingStateIsNamed() throws {
        let folder = try damaged { url in try Data("{\"step\": -1}".utf8).write(to: url.appendingPathComponent("training_state.json")) }
        #expect(loadMessage(folder) == "\(folder)/training_state.json: is not {\"step\": N} with N ≥ 0")
    }
}
