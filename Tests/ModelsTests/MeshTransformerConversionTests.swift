import Checkpointing
import Foundation
import Interop
import Models
import Objectives
import Optimization
import Tensor
import Testing
import TestSupport

/// BERTIN-GPT-J-6B's checkpoint format (Scripts/reference/make-mtj-fixture.py writes the tiny GPT-J
/// as mesh-transformer-jax kept it: full on 4 shards, slim bf16 on 2), imported by REFERENCE §11's rules.
@Suite struct MeshTransformerConversionTests {
    let expected: SafeTensorsFile
    let config = Fixtures.path("tiny-gptj/config.json")

    init() throws { expected = try SafeTensorsFile(path: Fixtures.path("mtj-gptj-expected.safetensors")) }

    func slice(_ buffer: UnsafeMutableBufferPointer<Float>, _ entry: ParameterStore.Entry) -> [Float] {
        Array(buffer[entry.offset..<(entry.offset + entry.count)])
    }

    @Test func aFullCheckpointIsTheTransformersModelBitForBitWithItsAdamState() throws {
        let path = temporaryPath("mtj.h5")
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        let imported = try MeshTransformerConversion.importCheckpoint(Fixtures.path("mtj-gptj/step_7"), config: config, to: path)
        print(imported.notes.joined(separator: "\n"))
        #expect(imported.shards == 4 && imported.step == 7 && imported.optimizer?.stepCount == 7)
        let reference = try TransformersDirectory.load(directory: Fixtures.path("mtj-gptj-reference"))
        let store = try imported.model.makeParameterStore()
        let adam = try AdamW(configuration: AdamWConfiguration(schedule: .constant(0)), parameters: store, decayMask: .matrices)
        let contents = try Checkpoint.read(from: path, into: store, optimizer: adam)
        #expect(contents.progress.step == 7 && adam.stepCount == 7)
        for entry in store.entries {
            #expect(differingBits(slice(store.values, entry), try reference.parameters.value(entry.name).scalars) == 0, "\(entry.name)")
            #expect(differingBits(slice(adam.firstMoment.values, entry), try expected.floats("mu/\(entry.name)")) == 0, "mu \(entry.name)")
            #expect(differingBits(slice(adam.secondMoment.values, entry), try expected.floats("nu/\(entry.name)")) == 0, "nu \(entry.name)")
        }
        // §11's arithmetic: 3 extra LayerNorm copies × (2 layers + ln_f) × 2C, 3 extra fc_out biases × 2 layers × C, 4 embedding biases × C.
        let c = 32
        #expect(imported.theirParameterCount - store.parameterCount == 3 * 3 * 2 * c + 3 * 2 * c + 4 * c)
        #expect(imported.notes.contains("2 parameters were 4 summed copies (transformer.h.0.mlp.fc_out.bias, …): each copy took a whole Adam step, so mesh-transformer-jax moved their sum 4× as far; their moments are one copy's, and from here each moves one step"), "\(imported.notes)")
    }

    @Test func itsLossIsTransformers() throws {
        let imported = try MeshTransformerConversion.load(directory: Fixtures.path("mtj-gptj/step_7"), config: config)
        guard let model = imported.model as? GPTJForCausalLM else { Issue.record("not GPT-J"); return }
        let batch = try fixtureBatch(expected)
        let loss = Double(try imported.parameters.value { p in try CausalLanguageModeling(model: model).loss(p, batch: batch, mode: .evaluation).loss }.scalar)
        let theirs = Double(try expected.floats("loss")[0])
        print("mesh-transformer-jax import: loss \(loss), transformers \(theirs)")
        #expect(abs(loss - theirs) <= 1e-5 * abs(theirs))
    }

    @Test func aSlimCheckpointIsBFloat16Exact() throws {
        let imported = try MeshTransformerConversion.load(directory: Fixtures.path("mtj-gptj-slim/step_7"), config: config)
        #expect(imported.shards == 2 && imported.step == 7 && imported.optimizer == nil)
        #expect(imported.notes.first?.hasPrefix("mesh-transformer-jax checkpoint on 2 shards, slim (parameters only), stored as |V2") == true, "\(imported.notes)")
        for entry in imported.parameters.entries {
            #expect(differingBits(slice(imported.parameters.values, entry), try expected.floats("slim/\(entry.name)")) == 0, "\(entry.name)")
        }
    }

    /// GPT-J-6B on 8 shards: the counts REFERENCE §11 gives.
    @Test func sixBillionCounts() throws {
        let model = try GPTJForCausalLM(config: .gptj6B)
        #expect(model.parameterCount == 6_050_882_784)
        #expect(try MeshTransformerConversion.theirParameterCount(of: model, shards: 8) == 6_053_381_344)
    }

    // MARK: - Damaged checkpoints

    func damaged(_ change: (URL) throws -> Void) throws -> String { try damagedCopy(of: "mtj-gptj/step_7", change) }

    func loadMessage(_ folder: String, config: String? = nil) -> String {
        message { _ = try MeshTransformerConversion.load(directory: folder, config: config ?? self.config) }
    }

    @Test func aMissingShardOrPieceIsNamed() throws {
        let gap = try damaged { try FileManager.default.removeItem(at: $0.appendingPathComponent("shard_1")) }
        #expect(loadMessage(gap) == "\(gap)/shard_1: missing, while shard_2 is there")
        let piece = try damaged { try FileManager.default.removeItem(at: $0.appendingPathComponent("shard_2/9.npz")) }
        #expect(loadMessage(piece) == "\(piece)/shard_2/9.npz: missing, while 10.npz is there")
        let last = try damaged { try FileManager.default.removeItem(at: $0.appendingPathComponent("shard_3/15.npz")) }
        #expect(loadMessage(last) == "\(last): its shards hold different numbers of arrays (81, 81, 81, 76)")
    }

    @Test func aTruncatedArchiveIsNamed() throws {
        let folder = try damaged { url in
            let file = url.appendingPathComponent("shard_0/3.npz")
            let data = try Data(contentsOf: file)
            try data.prefix(data.count - 100).write(to: file)
        }
        #expect(loadMessage(folder) == "\(folder)/shard_0/3.npz: is not a zip archive (no end of central directory; truncated, or not an .npz)")
    }

    @Test func theWrongTreeOrShapeIsNamed() throws {
        let folder = Fixtures.path("mtj-gptj/step_7")
        let deeper = temporaryPath("config.json")
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: deeper).deletingLastPathComponent().path, withIntermediateDirectories: true)
        let text = try String(contentsOfFile: config, encoding: .utf8)
        try text.replacingOccurrences(of: "\"n_layer\": 2", with: "\"n_layer\": 3").write(toFile: deeper, atomically: true, encoding: .utf8)
        #expect(loadMessage(folder, config: deeper) == "\(folder): holds 81 arrays per shard; a gptj of this config has 36 parameter leaves, so 37 (slim) or 111 (full, with the Adam state)")
        let wider = temporaryPath("config.json")
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: wider).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try text.replacingOccurrences(of: "\"vocab_size\": 96", with: "\"vocab_size\": 100").write(toFile: wider, atomically: true, encoding: .utf8)
        #expect(loadMessage(folder, config: wider) == "\(folder)/shard_0/10.npz: array arr_4 (causal_transformer_shard/~/embedding_shard/~/linear/w) has shape [24, 32], expected [25, 32] on 4 shards")
    }
}
