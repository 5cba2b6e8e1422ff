import CheckpointedModels
import Checkpointing
import Foundation
import Interop
import Kernels
import Models
import Tensor
import Testing
import Objectives

/// The tiny transformers GPT-J and its batch and outputs (Scripts/reference/make-gptj-fixture.py).
struct TinyGPTJReference {
    let loaded: TransformersDirectory.Loaded
    let expected: SafeTensorsFile
    let batch: TokenBatch
    var model: GPTJForCausalLM { loaded.model as! GPTJForCausalLM }

    init() throws {
        loaded = try TransformersDirectory.load(directory: Fixtures.path("tiny-gptj"))
        expected = try SafeTensorsFile(path: Fixtures.path("tiny-gptj-expected.safetensors"))
        batch = try fixtureBatch(expected)
    }
}

/// Our GPTJForCausalLM against transformers 5.23's: rotary_dim 4 of head size 8, random biases and
/// LayerNorm weights, a right-padded row. Eval mode (GPT-J's dropouts are 0 anyway).
@Suite struct GPTJReferenceTests {
    @Test func evalLogits() throws {
        let reference = try TinyGPTJReference()
        let logits = try reference.loaded.parameters.value { p in
            try reference.model.logits(p, inputIDs: reference.batch.inputIDs, attentionMask: reference.batch.attentionMask, mode: .evaluation)
        }
        #expect(logits.shape == (try reference.expected.info("logits").shape))
        let (ratio, difference) = compare(logits.scalars, try reference.expected.floats("logits"), relative: 1e-5)
        print("gptj logits: max |ours - transformers| = \(difference)")
        #expect(ratio <= 1, "logits: worst element at \(ratio)x the 1e-5 bound (max abs diff \(difference))")
    }

    @Test func evalLossShiftsLabelsInside() throws {
        let reference = try TinyGPTJReference()
        let expected = Double(try reference.expected.floats("loss")[0])
        let output = try reference.loaded.parameters.value { p in try CausalLanguageModeling(model: reference.model).loss(p, batch: reference.batch, mode: .evaluation) }
        let loss = Double(try output.loss.scalar)
        print("gptj loss: ours \(loss), transformers \(expected)")
        #expect(abs(loss - expected) <= 1e-5 * abs(expected))
        // 15 + 15 + 10 next-token labels: the pads' -100 and each row's first token predict nothing.
        #expect(output.labelledCount == 40)
    }

    @Test func everyParameterGradient() throws {
        let reference = try TinyGPTJReference()
        let store = reference.loaded.parameters
        store.zeroGradients()
        try store.valueWithGradient { p in try CausalLanguageModeling(model: reference.model).loss(p, batch: reference.batch, mode: .evaluation).loss }
        var failures: [String] = []
        for entry in store.entries {
            let (ratio, difference) = compare(try store.gradient(entry.name).scalars, try reference.expected.floats("gradients." + entry.name), relative: 1e-4)
            if ratio > 1 { failures.append("\(entry.name): \(ratio)x the 1e-4 bound, max abs diff \(difference)") }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(store.entries.count == 2 + 2 * 10 + 2 + 2 - 1, "wte, 10 per block, ln_f, lm_head weight and bias")
    }

    @Test func greedyGenerationEqualsTransformers() throws {
        let reference = try TinyGPTJReference()
        let prompt = try reference.expected.integers("prompt").map { Int32($0) }
        let expected = try reference.expected.integers("greedy").map { Int32($0) }
        let generated = try reference.loaded.parameters.value { p in
            try reference.model.generate(p, prompt: prompt, maxNewTokens: expected.count, sampler: TokenSampler())
        }
        #expect(generated == expected)
    }

    /// The cache gives the logits a full forward pass gives at the last position.
    @Test func cachedStepsEqualFullForward() throws {
        let reference = try TinyGPTJReference()
        let tokens: [Int32] = [5, 17, 42, 8, 33, 71, 9]
        let (stepwise, full) = try reference.loaded.parameters.value { p -> ([Float], [Float]) in
            let cache = reference.model.makeCache()
            _ = try reference.model.nextTokenLogits(p, tokens: try IndexTensor(shape: [1, 4], indices: Array(tokens[..<4])), cache: cache)
            var last: Tensor?
            for token in tokens[4...] { last = try reference.model.nextTokenLogits(p, tokens: try IndexTensor(shape: [1, 1], indices: [token]), cache: cache) }
            let logits = try reference.model.logits(p, inputIDs: try IndexTensor(shape: [1, 7], indices: tokens),
                                                    attentionMask: try IndexTensor(shape: [1, 7], indices: Array(repeating: 1, count: 7)), mode: .evaluation)
            return (last!.scalars, Array(logits.scalars[(6 * 96)...]))
        }
        #expect(compare(stepwise, full, relative: 1e-5).ratio <= 1)
    }

    @Test func rotaryDimensionAboveHeadSizeIsRefused() {
        var config = GPTJConfig(vocabularySize: 96, positionCount: 32, hiddenSize: 32, layerCount: 1, headCount: 4, rotaryDimension: 10)
        #expect(message { _ = try GPTJForCausalLM(config: config) } == "invalid model config: rotary_dim 10 must be even, positive and at most the head size 8")
        config.rotaryDimension = 8
        #expect(throws: Never.self) { _ = try GPTJForCausalLM(config: config) }
    }

    /// GPT-J-6B's published size in transformers' layout.
    @Test func sixBillionLayout() throws {
        let model = try GPTJForCausalLM(config: .gptj6B)
        #expect(model.parameterCount == 6_050_882_784)
    }
}

@Suite struct GPTJConversionTests {
    /// transformers → checkpoint → transformers: every tensor bit for bit, `model_type` recorded.
    @Test func roundTripIsBitExact() throws {
        let source = Fixtures.path("tiny-gptj")
        let checkpoint = temporaryPath("tiny.h5"), exported = temporaryPath("exported")
        let imported = try TransformersConversion.importDirectory(source, to: checkpoint)
        #expect(imported.note == nil)
        let reloaded = try ModelRegistry.load(checkpoint: checkpoint)
        #expect(reloaded.model is GPTJForCausalLM)
        try TransformersConversion.exportCheckpoint(checkpoint, to: exported)
        let original = try SafeTensorsFile(path: source + "/model.safetensors")
        let again = try SafeTensorsFile(path: exported + "/model.safetensors")
        #expect(Set(again.tensors.keys) == Set(original.tensors.keys))
        for name in original.tensors.keys.sorted() {
            #expect(try original.info(name).shape == (try again.info(name)).shape, "\(name)")
            let bits = FloatDifferences(actual: try again.floats(name), expected: try original.floats(name))
            #expect(bits.isEmpty, "\(name) bits: \(bits)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: exported + "/config.json"))) as! [String: Any]
        #expect(json["architectures"] as? [String] == ["GPTJForCausalLM"] && json["model_type"] as? String == "gptj")
        #expect(json["rotary_dim"] as? Int == 4 && json["layer_norm_epsilon"] as? Double == 1e-5 && json["n_inner"] is NSNull)
    }

    /// Sharded float16 weights with an index load as the float32 model rounded to float16, widened exactly.
    @Test func shardedHalfPrecisionImport() throws {
        let sharded = try TransformersDirectory.load(directory: Fixtures.path("tiny-gptj-sharded"))
        let full = try TransformersDirectory.load(directory: Fixtures.path("tiny-gptj"))
        #expect(sharded.storedTypes == ["F16"])
        #expect(sharded.note?.contains("F16 were widened to float32") == true)
        for entry in full.parameters.entries {
            let rounded = try full.parameters.value(entry.name).scalars.map { Float(Float16($0)) }
            let bits = FloatDifferences(actual: try sharded.parameters.value(entry.name).scalars, expected: rounded)
            #expect(bits.isEmpty, "\(entry.name): \(bits)")
        }
        // --dtype float16 export writes those same half-precision bits back.
        let checkpoint = temporaryPath("half.h5"), exported = temporaryPath("half")
        try TransformersConversion.importDirectory(Fixtures.path("tiny-gptj-sharded"), to: checkpoint)
        try TransformersConversion.exportCheckpoint(checkpoint, to: exported, storage: .float16)
        let file = try SafeTensorsFile(path: exported + "/model.safetensors")
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tiny-gptj-sharded/model.safetensors.index.json")))) as! [String: Any]
        for (name, shard) in (index["weight_map"] as! [String: String]) {
            let original = try SafeTensorsFile(path: Fixtures.path("tiny-gptj-sharded/" + shard))
            #expect(try file.info(name).dtype == "F16")
            #expect(try file.floats(name) == (try original.floats(name)), "\(name)")
        }
    }

    @Test func oldBuffersAreSkippedAndNamed() throws {
        let folder = temporaryPath("buffers")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var config = try String(contentsOfFile: Fixtures.path("tiny-gptj/config.json"), encoding: .utf8)
        config = config.replacingOccurrences(of: "\"n_embd\"", with: "\"n_ctx\": 32,\n  \"scale_attn_weights\": true,\n  \"n_embd\"")
        try config.write(toFile: folder + "/config.json", atomically: true, encoding: .utf8)
        let original = try SafeTensorsFile(path: Fixtures.path("tiny-gptj/model.safetensors"))
        // The fixture's tensors plus an old causal-mask buffer, in one flat allocation.
        var tensors = try original.tensors.keys.sorted().map { (name: $0, shape: try original.info($0).shape, values: try original.floats($0)) }
        tensors.append((name: "transformer.h.0.attn.bias", shape: [1, 1, 2, 2], values: [1, 0, 1, 1]))
        let flat = tensors.flatMap(\.values)
        try flat.withUnsafeBufferPointer { all in
            var offset = 0
            let views = tensors.map { tensor -> (name: String, shape: [Int], values: UnsafeBufferPointer<Float>) in
                defer { offset += tensor.values.count }
                return (tensor.name, tensor.shape, UnsafeBufferPointer(rebasing: all[offset..<(offset + tensor.values.count)]))
            }
            try SafeTensorsFile.write(views, to: folder + "/model.safetensors")
        }
        let loaded = try TransformersDirectory.load(directory: folder)
        #expect(loaded.ignoredTensors == ["transformer.h.0.attn.bias"])
        #expect(loaded.unmodelledConfigKeys == ["n_ctx", "scale_attn_weights"])
    }
}
