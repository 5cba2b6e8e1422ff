import AtomicFiles
import CheckpointedModels
import Checkpointing
import Foundation
import Models
import Optimization
import Tensor

/// BERTIN's own checkpoints ↔ ours. BERTIN's run_mlm_flax_stream.py wrote, per checkpoint, a
/// folder of `config.json`, `flax_model.msgpack` (the Flax parameter tree), `optimizer_state.msgpack`
/// (optax.adamw's state) and `training_state.json` (`{"step": N}`); transformers' Flax
/// `save_pretrained` writes the first two. Reading keeps the Adam moments, their count and the
/// step, so training continues where that run stopped; writing gives a folder Flax loads and
/// optax continues from.
public enum FlaxConversion {
    public static let parametersFile = "flax_model.msgpack"
    public static let optimizerFile = "optimizer_state.msgpack"
    public static let trainingStateFile = "training_state.json"

    /// What a Flax checkpoint folder holds.
    public struct Imported {
        public let model: any TrainableModel
        /// The folder's config.json as it was.
        public let configJSON: String
        public let parameters: ParameterStore
        /// Adam's moments and count, when the folder held optimizer_state.msgpack.
        public let optimizer: AdamW?
        public var optimizerCount: Int? { optimizer?.stepCount }
        public let step: Int
        /// Lines for the user: widened dtypes, a missing training state, a schedule count that differs.
        public let notes: [String]
    }

    /// The model of a config, whose family must declare that its Flax tree follows the rename rule.
    static func model(configPath: String, data: Data) throws -> any TrainableModel {
        let model: any TrainableModel
        do { model = try ModelRegistry.model(configJSON: data) } catch { throw InteropError.invalidFile(path: configPath, reason: "\(error)") }
        guard type(of: model).transformersNames.flaxFollowsTheRenameRule else {
            throw InteropError.invalidFile(path: configPath, reason: "model_type \(model.modelType): this family declares no Flax layout (TransformersNames.flaxFollowsTheRenameRule)")
        }
        return model
    }

    /// Our layout's Flax paths, from the store's names, shapes and roles.
    static func paths(of store: ParameterStore) throws -> [FlaxParameterPath] {
        try store.entries.map { try FlaxParameterPath(name: $0.name, shape: $0.shape, role: $0.role) }
    }

    // MARK: - Import

    /// A BERTIN checkpoint folder (or a Flax `save_pretrained` folder) → our checkpoint at `output`.
    @discardableResult
    public static func importFolder(_ directory: String, to output: String) throws -> Imported {
        let imported = try load(directory: directory)
        try Checkpoint.write(to: output, parameters: imported.parameters, optimizer: imported.optimizer,
                             progress: TrainingProgress(step: imported.step, seed: 0), modelConfig: imported.configJSON, recipe: "")
        return imported
    }

    /// Reads a BERTIN checkpoint folder (or a Flax `save_pretrained` folder), checking every array.
    public static func load(directory: String) throws -> Imported {
        let folder = URL(fileURLWithPath: directory)
        let configPath = folder.appendingPathComponent("config.json").path
        guard let configData = FileManager.default.contents(atPath: configPath) else {
            throw InteropError.invalidFile(path: configPath, reason: "cannot read the file (missing?)")
        }
        let model = try model(configPath: configPath, data: configData)
        let parametersFile = try FlaxStateFile(path: folder.appendingPathComponent(Self.parametersFile).path)
        let stored = try parametersFile.arrays(under: parametersFile.root)
        let store = try model.makeParameterStore()
        let paths = try paths(of: store)
        let arrays = try match(stored, to: store, paths: paths, in: parametersFile, what: "parameter")
        var notes: [String] = []
        let dtypes = Set(arrays.map(\.dtype)).subtracting(["float32"])
        if !dtypes.isEmpty { notes.append("parameters stored as \(dtypes.sorted().joined(separator: "/")) were widened to float32") }
        for (index, entry) in store.entries.enumerated() {
            try store.set(entry.name, to: try values(arrays[index], of: entry, path: paths[index], from: parametersFile))
        }

        var optimizer: AdamW?
        let optimizerPath = folder.appendingPathComponent(optimizerFile).path
        if FileManager.default.fileExists(atPath: optimizerPath) {
            let state = try FlaxStateFile(path: optimizerPath)
            let adam = try readAdam(state, into: store, paths: paths)
            optimizer = adam.optimizer
            notes += adam.notes
        } else {
            notes.append("no \(optimizerFile): weights only, the optimizer starts fresh")
        }

        let step: Int
        let trainingStatePath = folder.appendingPathComponent(trainingStateFile).path
        if let data = FileManager.default.contents(atPath: trainingStatePath) {
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let value = object["step"] as? Int, value >= 0 else {
                throw InteropError.invalidFile(path: trainingStatePath, reason: "is not {\"step\": N} with N ≥ 0")
            }
            step = value
        } else {
            step = optimizer?.stepCount ?? 0
            if optimizer != nil { notes.append("no \(trainingStateFile): the step is taken from the optimizer's count, \(step)") }
        }
        return Imported(model: model, configJSON: String(decoding: configData, as: UTF8.self), parameters: store, optimizer: optimizer,
                        step: step, notes: notes)
    }

    /// The stored array of every entry, checked: each is there with its shape, and nothing else is.
    static func match(_ stored: [(path: String, array: FlaxArray)], to store: ParameterStore, paths: [FlaxParameterPath],
                      in file: FlaxStateFile, what: String, prefix: String = "") throws -> [FlaxArray] {
        let byPath = Dictionary(stored.map { ($0.path, $0.array) }, uniquingKeysWith: { first, _ in first })
        let arrays = try zip(store.entries, paths).map { entry, path -> FlaxArray in
            guard let array = byPath[path.path] else {
                throw file.fail("has no \(what) \(prefix)\(path.path), which \(entry.name) needs")
            }
            guard array.shape == path.flaxShape(entry.shape) else {
                throw file.fail("\(what) \(prefix)\(path.path) has shape \(array.shape), the model's config implies \(path.flaxShape(entry.shape))")
            }
            return array
        }
        let known = Set(paths.map(\.path))
        if let stranger = stored.first(where: { !known.contains($0.path) }) {
            let untied = stranger.path.hasSuffix("decoder/kernel") ? " (an untied decoder: not supported, the decoder is the word embeddings)" : ""
            throw file.fail("\(what) \(prefix)\(stranger.path) is not part of the model\(untied.isEmpty ? " (a different architecture?)" : untied)")
        }
        return arrays
    }

    /// One entry's values in our orientation.
    static func values(_ array: FlaxArray, of entry: ParameterStore.Entry, path: FlaxParameterPath, from file: FlaxStateFile, prefix: String = "") throws -> [Float] {
        let floats = try file.floats(array, at: prefix + path.path)
        return path.transposed ? transpose(floats, rows: array.shape[0], columns: array.shape[1]) : floats
    }

    /// optax.adamw's state: a tuple (stored as a map "0", "1", …) whose Adam element holds
    /// `count`, `mu` and `nu`; `mu`/`nu` mirror the parameter tree.
    static func readAdam(_ file: FlaxStateFile, into store: ParameterStore, paths: [FlaxParameterPath]) throws -> (optimizer: AdamW, notes: [String]) {
        let elements = try file.entries(file.root, at: "")
        guard let (key, adam) = try elements.first(where: { element in
            guard case .map = element.1 else { return false }
            return Set(try file.entries(element.1, at: element.0).map(\.0)).isSuperset(of: ["count", "mu", "nu"])
        }) else {
            throw file.fail("holds no Adam state (an element with count, mu and nu): not optax.adamw's state")
        }
        let fields = Dictionary(try file.entries(adam, at: key), uniquingKeysWith: { first, _ in first })
        let optimizer = try AdamW(configuration: AdamWConfiguration(schedule: .constant(0)), parameters: store, decayMask: .all)
        for (slot, buffer) in [("mu", optimizer.firstMoment), ("nu", optimizer.secondMoment)] {
            let prefix = "\(key)/\(slot)/"
            let arrays = try match(try file.arrays(under: fields[slot]!, named: "\(key)/\(slot)"), to: store, paths: paths, in: file, what: "moment", prefix: prefix)
            for (index, entry) in store.entries.enumerated() {
                let values = try values(arrays[index], of: entry, path: paths[index], from: file, prefix: prefix)
                for (i, value) in values.enumerated() { buffer.values[entry.offset + i] = value }
            }
        }
        guard case .ext(_, let range) = fields["count"]!, let count = try? file.integer(try file.array(range, at: "\(key)/count"), at: "\(key)/count"),
              count >= 0 else {
            throw file.fail("\(key)/count is not a non-negative integer scalar")
        }
        optimizer.stepCount = count
        var notes = ["Adam state: \(count) updates applied"]
        // optax.adamw's schedule keeps its own count (ScaleByScheduleState); it moves with Adam's.
        for (otherKey, element) in elements where otherKey != key {
            guard case .map = element, let field = try file.entries(element, at: otherKey).first(where: { $0.0 == "count" }),
                  case .ext(_, let range) = field.1, let other = try? file.integer(try file.array(range, at: "\(otherKey)/count"), at: "\(otherKey)/count") else { continue }
            if other != count { notes.append("the schedule's count (\(otherKey)/count) is \(other), Adam's is \(count): training continues from Adam's") }
        }
        return (optimizer, notes)
    }
}
