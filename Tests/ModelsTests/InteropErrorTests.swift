import CheckpointedModels
import Checkpointing
import Foundation
import Interop
import Models
import Tensor
import Testing

/// transformers directories that cannot be read as the model their config names: each refusal
/// names the file and the tensor. The files are the tiny RoBERTa and GPT-J fixtures, rewritten by
/// a plain safetensors writer here (8-byte header length, JSON header, raw bytes).
@Suite struct InteropErrorTests {
    typealias Tensor = (name: String, dtype: String, shape: [Int], bytes: Data)

    /// The fixture's tensors, bytes as stored.
    static func tensors(_ fixture: String) throws -> [Tensor] {
        let path = Fixtures.path(fixture + "/model.safetensors")
        let file = try SafeTensorsFile(path: path), data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try file.tensors.keys.sorted().map { name in
            let info = try file.info(name)  // its byte range counts from the file's start
            return (name, info.dtype, info.shape, data.subdata(in: info.bytes))
        }
    }

    static func write(_ tensors: [Tensor], to path: String) throws {
        var header: [String: Any] = ["__metadata__": ["format": "pt"]], offset = 0, body = Data()
        for tensor in tensors {
            header[tensor.name] = ["dtype": tensor.dtype, "shape": tensor.shape, "data_offsets": [offset, offset + tensor.bytes.count]]
            offset += tensor.bytes.count
            body += tensor.bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var length = UInt64(json.count).littleEndian
        try (Data(bytes: &length, count: 8) + json + body).write(to: URL(fileURLWithPath: path))
    }

    /// A copy of the tiny RoBERTa with `change` applied to its tensors; returns the load error.
    func load(_ change: ([Tensor]) -> [Tensor]) throws -> (folder: String, error: String) {
        let folder = temporaryPath("interop")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.path("tiny-roberta/config.json"), toPath: folder + "/config.json")
        try Self.write(change(try Self.tensors("tiny-roberta")), to: folder + "/model.safetensors")
        return (folder, message { _ = try TransformersDirectory.load(directory: folder) })
    }

    @Test func aMissingTensorIsNamed() throws {
        let (folder, error) = try load { $0.filter { $0.name != "roberta.encoder.layer.1.attention.self.query.bias" } }
        #expect(error == "\(folder): has no tensor roberta.encoder.layer.1.attention.self.query.bias, which roberta needs")
    }

    @Test func anUntiedDecoderIsRefused() throws {
        let (folder, error) = try load { tensors in
            let embeddings = tensors.first { $0.name == "roberta.embeddings.word_embeddings.weight" }!
            var other = embeddings.bytes
            other[5] ^= 0x01
            return tensors + [("lm_head.decoder.weight", embeddings.dtype, embeddings.shape, other)]
        }
        #expect(error == "\(folder)/model.safetensors: lm_head.decoder.weight differs from roberta.embeddings.word_embeddings.weight: untied weights are not supported")
    }

    @Test func aStrangerTensorIsNamed() throws {
        let (folder, error) = try load { $0 + [("classifier.dense.weight", "F32", [2, 2], Data(count: 16))] }
        #expect(error == "\(folder)/model.safetensors: tensor classifier.dense.weight is not part of RobertaForMaskedLM (a different architecture?)")
    }

    @Test func aNonFloatTensorIsNamed() throws {
        let (folder, error) = try load { tensors in
            tensors.map { $0.name == "roberta.embeddings.LayerNorm.bias" ? ($0.name, "I32", $0.shape, $0.bytes) : $0 }
        }
        #expect(error == "\(folder)/model.safetensors: tensor roberta.embeddings.LayerNorm.bias is I32, not a floating-point tensor")
    }

    @Test func anIndexNamingAMissingShardIsNamed() throws {
        let folder = temporaryPath("interop-sharded")
        try FileManager.default.copyItem(atPath: Fixtures.path("tiny-gptj-sharded"), toPath: folder)
        try FileManager.default.removeItem(atPath: folder + "/model-00002-of-00002.safetensors")
        let error = message { _ = try TransformersDirectory.load(directory: folder) }
        #expect(error == "\(folder)/model-00002-of-00002.safetensors: cannot read the file (missing?)", "\(error)")
    }
}

/// A checkpoint whose stored model config cannot be a model is named by file and dataset.
@Suite struct CheckpointConfigErrorTests {
    @Test(arguments: [
        ("not json {", "invalid model config: the config is not a JSON object"),
        // No model_type means RoBERTa (checkpoints from before model families), whose 12 heads do not divide 8.
        ("{\"hidden_size\": 8}", "invalid model config: hidden_size 8 is not a multiple of num_attention_heads 12"),
        ("{\"model_type\": \"llama\"}", "model type \"llama\" is not known (known: gptj, roberta)"),
    ])
    func aBadModelConfigIsNamed(config: String, problem: String) throws {
        let path = temporaryPath("bad-config") + ".h5"
        let store = try ParameterStore(layout: [("w", [2])])
        try Checkpoint.write(to: path, parameters: store, optimizer: nil, progress: TrainingProgress(step: 1, seed: 1), modelConfig: config, recipe: "")
        let error = message { _ = try ModelRegistry.model(checkpoint: path) }
        #expect(error.hasPrefix("\(path): dataset /model_config: does not describe a model: "), "\(error)")
        #expect(error.contains(problem), "\(error)")
    }
}
