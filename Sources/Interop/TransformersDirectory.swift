import AtomicFiles
import Foundation
import Models
import Tensor

/// A transformers directory (`config.json` + safetensors weights) in and out, for every family of
/// the registry: `model_type` picks the family, the family's layout names the tensors.
public enum TransformersDirectory {
    /// A model read from a transformers directory.
    public struct Loaded {
        public let model: any TrainableModel
        /// The directory's `config.json` as it was, kept so an export gives back its extra keys.
        public let configJSON: String
        public let parameters: ParameterStore
        /// Tensors in the files that the model does not use (buffers, a pooler), skipped.
        public let ignoredTensors: [String]
        /// `config.json` keys the family's config does not model (carried through to exports).
        public let unmodelledConfigKeys: [String]
        /// Element types found in the files (F16/BF16 are widened to Float32 exactly).
        public let storedTypes: Set<String>

        /// One line for the user about what was skipped or widened, or nil.
        public var note: String? {
            var parts: [String] = []
            if !ignoredTensors.isEmpty { parts.append("ignored tensors \(model.modelType) does not use: \(ignoredTensors.joined(separator: ", "))") }
            if !unmodelledConfigKeys.isEmpty { parts.append("config keys not modelled (kept for export): \(unmodelledConfigKeys.joined(separator: ", "))") }
            let narrow = storedTypes.subtracting(["F32"])
            if !narrow.isEmpty { parts.append("weights stored as \(narrow.sorted().joined(separator: "/")) were widened to float32") }
            return parts.isEmpty ? nil : parts.joined(separator: "; ")
        }
    }

    /// Keys of `PretrainedConfig` itself that no family models and that need no note.
    static let commonConfigKeys: Set<String> = [
        "architectures", "model_type", "transformers_version", "dtype", "torch_dtype", "use_cache", "_name_or_path",
        "tokenizer_class", "task_specific_params", "output_past",
    ]

    public static func load(directory: String) throws -> Loaded {
        let folder = URL(fileURLWithPath: directory)
        let configPath = folder.appendingPathComponent("config.json").path
        guard let configData = FileManager.default.contents(atPath: configPath) else {
            throw InteropError.invalidFile(path: configPath, reason: "cannot read the file (missing?)")
        }
        let model: any TrainableModel
        do { model = try ModelRegistry.model(configJSON: configData) } catch {
            throw InteropError.invalidFile(path: configPath, reason: "\(error)")
        }
        let weights = try TransformersWeights(directory: directory)
        let names = type(of: model).transformersNames
        // Every tensor is found and its shape checked before the store is allocated: a config
        // that implies a far larger model than the weights (or a damaged one) must not allocate it.
        var stored: [String: String] = [:]
        var types = Set<String>()
        for (parameter, shape) in model.layout {
            var name = parameter
            if weights.files[name] == nil, let alias = names.aliases[name], weights.files[alias] != nil { name = alias }
            guard weights.files[name] != nil else {
                throw InteropError.invalidFile(path: weights.folder.path, reason: "has no tensor \(name), which \(model.modelType) needs")
            }
            let info = try weights.info(name)
            guard info.shape == shape else {
                throw InteropError.invalidFile(path: weights.path(of: name), reason: "tensor \(name) has shape \(info.shape), config.json implies \(shape)")
            }
            types.insert(info.dtype)
            stored[parameter] = name
        }
        let store = try model.makeParameterStore()
        for entry in store.entries { try store.set(entry.name, to: try weights.floats(stored[entry.name]!)) }
        for (copy, original) in names.tied where weights.files[copy] != nil {
            guard try weights.floats(copy) == (try store.value(original).scalars) else {
                throw InteropError.invalidFile(path: weights.path(of: copy), reason: "\(copy) differs from \(original): untied weights are not supported")
            }
        }
        let used = Set(store.entries.map(\.name) + Array(names.aliases.values) + Array(names.tied.keys))
        let unknown = weights.names.filter { !used.contains($0) }
        if let stranger = unknown.first(where: { !names.ignorable($0) }) {
            throw InteropError.invalidFile(path: weights.path(of: stranger), reason: "tensor \(stranger) is not part of \(type(of: model).architecture) (a different architecture?)")
        }
        let configKeys = (try? JSONSerialization.jsonObject(with: configData) as? [String: Any])?.keys.map { $0 } ?? []
        let modelled = Set((try? JSONSerialization.jsonObject(with: Data(try model.checkpointConfig().utf8)) as? [String: Any])?.keys.map { $0 } ?? [])
        let unmodelled = configKeys.filter { !modelled.contains($0) && !commonConfigKeys.contains($0) }.sorted()
        return Loaded(model: model, configJSON: String(decoding: configData, as: UTF8.self), parameters: store, ignoredTensors: unknown,
                      unmodelledConfigKeys: unmodelled, storedTypes: types)
    }

    /// Writes `config.json` and `model.safetensors` as `save_pretrained` does (a tied decoder is not
    /// stored twice), for `AutoModel*.from_pretrained` to load. `storage` narrows the weights on
    /// the way out (Float32 by default: bit for bit what was trained).
    public static func save(model: any TrainableModel, parameters store: ParameterStore, configJSON: String?, to directory: String,
                            storage: SafeTensorsFile.StorageType = .float32) throws {
        try save(model: model, configJSON: configJSON, to: directory, storage: storage) { name in
            let entry = try store.entry(named: name)
            return Array(UnsafeBufferPointer(start: store.values.baseAddress! + entry.offset, count: entry.count))
        }
    }

    /// The same, taking each tensor from `values` just before it is written (one tensor in memory at a time).
    public static func save(model: any TrainableModel, configJSON: String?, to directory: String, storage: SafeTensorsFile.StorageType = .float32,
                            values: (String) throws -> [Float]) throws {
        let folder = URL(fileURLWithPath: directory)  // created by the first write
        try writeConfig(model: model, configJSON: configJSON, dtype: storage.rawValue, to: folder.appendingPathComponent("config.json").path)
        do {
            try SafeTensorsFile.write(layout: model.layout, storage: storage, to: folder.appendingPathComponent("model.safetensors").path, values: values)
        } catch let failure as AtomicFile.Failure {
            throw InteropError.invalidFile(path: failure.path, reason: failure.reason)
        }
    }

    /// `config.json` as `save_pretrained` writes it (transformers' PyTorch and Flax models read the
    /// same file): the family's config merged into the original's extra keys.
    static func writeConfig(model: any TrainableModel, configJSON: String?, dtype: String, to configPath: String) throws {
        var config = try model.transformersConfig(mergingInto: configJSON)
        config["architectures"] = [type(of: model).architecture]
        config["model_type"] = model.modelType
        config["dtype"] = dtype
        let text = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys]) + Data("\n".utf8)
        do { try AtomicFile.write(to: configPath) { try $0.write(contentsOf: text) } } catch {
            throw InteropError.invalidFile(path: configPath, reason: "cannot write: \(error)")
        }
    }
}
