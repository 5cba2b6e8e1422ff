import Foundation
import Models
import Tensor

/// A transformers RoBERTa directory (`config.json` + `model.safetensors`) in and out.
public enum HuggingFaceRoberta {
    /// A model read from a transformers directory.
    public struct Loaded {
        public let model: RobertaForMaskedLM
        /// The directory's `config.json` as it was, kept so an export gives back its extra keys.
        public let configJSON: String
        public let parameters: ParameterStore
        /// Tensors in the file that this model does not use (a pooler, a position-id buffer).
        public let ignoredTensors: [String]
    }

    /// Tensors transformers may store that carry nothing RobertaForMaskedLM needs.
    static func isIgnorable(_ name: String) -> Bool {
        name.hasPrefix("roberta.pooler.") || name == "roberta.embeddings.position_ids"
    }

    public static func load(directory: String) throws -> Loaded {
        let folder = URL(fileURLWithPath: directory)
        let configPath = folder.appendingPathComponent("config.json").path
        guard let configData = FileManager.default.contents(atPath: configPath) else {
            throw InteropError.invalidFile(path: configPath, reason: "cannot read the file (missing?)")
        }
        let config: RobertaConfig
        do { config = try JSONDecoder().decode(RobertaConfig.self, from: configData) } catch {
            throw InteropError.invalidFile(path: configPath, reason: "is not a RoBERTa config: \(error)")
        }
        if let type = (try? JSONSerialization.jsonObject(with: configData) as? [String: Any])?["model_type"] as? String, type != "roberta" {
            throw InteropError.invalidFile(path: configPath, reason: "model_type is \"\(type)\", not \"roberta\"")
        }
        let model: RobertaForMaskedLM
        do { model = try RobertaForMaskedLM(config: config) } catch {
            throw InteropError.invalidFile(path: configPath, reason: "\(error)")
        }
        let weightsPath = folder.appendingPathComponent("model.safetensors").path
        guard FileManager.default.fileExists(atPath: weightsPath) else {
            let other = ["model.safetensors.index.json", "pytorch_model.bin"].first {
                FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
            }
            throw InteropError.invalidFile(path: weightsPath, reason: other.map {
                "missing; the folder has \($0), which is not supported: save it as one model.safetensors (save_pretrained(safe_serialization=True, max_shard_size=\"100GB\"))"
            } ?? "missing")
        }
        let file = try SafeTensorsFile(path: weightsPath)
        let store = try model.makeParameterStore()
        for entry in store.entries {
            var name = entry.name
            if file.tensors[name] == nil, name == "lm_head.bias", file.tensors["lm_head.decoder.bias"] != nil { name = "lm_head.decoder.bias" }
            let info = try file.info(name)
            guard info.shape == entry.shape else {
                throw InteropError.invalidFile(path: weightsPath, reason: "tensor \(name) has shape \(info.shape), config.json implies \(entry.shape)")
            }
            try store.set(entry.name, to: try file.floats(name))
        }
        if file.tensors["lm_head.decoder.weight"] != nil,
           try file.floats("lm_head.decoder.weight") != (try file.floats("roberta.embeddings.word_embeddings.weight")) {
            throw InteropError.invalidFile(path: weightsPath, reason: "lm_head.decoder.weight differs from the word embeddings: untied decoders are not supported")
        }
        let used = Set(store.entries.map(\.name) + ["lm_head.decoder.weight", "lm_head.decoder.bias"])
        let unknown = file.tensors.keys.filter { !used.contains($0) }.sorted()
        if let stranger = unknown.first(where: { !isIgnorable($0) }) {
            throw InteropError.invalidFile(path: weightsPath, reason: "tensor \(stranger) is not part of RobertaForMaskedLM (a different architecture?)")
        }
        return Loaded(model: model, configJSON: String(decoding: configData, as: UTF8.self), parameters: store, ignoredTensors: unknown)
    }

    /// Writes `config.json` and `model.safetensors` as `save_pretrained` does (the tied decoder is
    /// not stored twice), for `AutoModelForMaskedLM.from_pretrained` to load.
    public static func save(model: RobertaForMaskedLM, parameters store: ParameterStore, configJSON: String?, to directory: String) throws {
        let folder = URL(fileURLWithPath: directory)
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw InteropError.invalidFile(path: directory, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        let configPath = folder.appendingPathComponent("config.json").path
        let text = try configText(for: model.config, mergingInto: configJSON)
        do { try text.write(toFile: configPath, atomically: true, encoding: .utf8) } catch {
            throw InteropError.invalidFile(path: configPath, reason: "cannot write: \(error.localizedDescription)")
        }
        let tensors = store.entries.map { entry in
            (name: entry.name, shape: entry.shape, values: UnsafeBufferPointer(start: store.values.baseAddress! + entry.offset, count: entry.count))
        }
        try SafeTensorsFile.write(tensors, to: folder.appendingPathComponent("model.safetensors").path)
    }

    /// `config.json` for `config`: the original file's keys kept, ours written over them.
    public static func configText(for config: RobertaConfig, mergingInto original: String?) throws -> String {
        var object = original.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? [:]
        let ours = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(config)) as? [String: Any] ?? [:]
        for (key, value) in ours { object[key] = value }
        // Float32 fields through their shortest decimal (1e-05, not 9.99999974737875e-06).
        for (key, value) in [("layer_norm_eps", config.layerNormEpsilon), ("hidden_dropout_prob", config.hiddenDropout),
                             ("attention_probs_dropout_prob", config.attentionDropout), ("initializer_range", config.initializerRange)] {
            object[key] = Double("\(value)")
        }
        object["architectures"] = ["RobertaForMaskedLM"]
        object["model_type"] = "roberta"
        object["tie_word_embeddings"] = true
        object["dtype"] = "float32"
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
