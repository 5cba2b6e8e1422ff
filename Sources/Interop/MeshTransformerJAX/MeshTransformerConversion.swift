import CheckpointedModels
import Checkpointing
import Foundation
import Models
import Optimization
import Tensor

/// mesh-transformer-jax's checkpoints (BERTIN-GPT-J-6B's training) → ours. A checkpoint is
/// `step_N/shard_{0..S-1}/{0..15}.npz`: on each model shard, the train state's leaves in jax's
/// tree order (`opt_state`, `params`, `step`: Adam's count, mu, nu and the schedule's count, then
/// the parameters, then the step; a "slim" one holds only the bf16 parameters and the step), cut
/// into 16 files. The family's `MeshTransformerLayout` says which haiku leaf each parameter came
/// from and how the shards' pieces make it (REFERENCE §11).
public enum MeshTransformerConversion {
    public struct Imported {
        public let model: any TrainableModel
        public let configJSON: String
        public let parameters: ParameterStore
        /// Adam's moments and count (a full checkpoint), nil for a slim one.
        public let optimizer: AdamW?
        public let step: Int
        public let shards: Int
        /// mesh-transformer-jax's own parameter count: every shard's copies counted.
        public let theirParameterCount: Int
        public let notes: [String]
    }

    /// Imports `directory` (a `step_N` folder) with the transformers `config.json` at `configPath`.
    @discardableResult
    public static func importCheckpoint(_ directory: String, config configPath: String, to output: String) throws -> Imported {
        let imported = try load(directory: directory, config: configPath)
        try Checkpoint.write(to: output, parameters: imported.parameters, optimizer: imported.optimizer,
                             progress: TrainingProgress(step: imported.step, seed: 0), modelConfig: imported.configJSON, recipe: "")
        return imported
    }

    /// The model of `configPath`, whose family must say where mesh-transformer-jax kept each parameter.
    static func model(_ configPath: String) throws -> (model: any TrainableModel, sources: [String: MeshTransformerSource], json: String) {
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw InteropError.invalidFile(path: configPath, reason: "cannot read the file (missing?)")
        }
        let model: any TrainableModel
        do { model = try ModelRegistry.model(configJSON: data) } catch { throw InteropError.invalidFile(path: configPath, reason: "\(error)") }
        guard let layout = model as? MeshTransformerLayout else {
            throw InteropError.invalidFile(path: configPath, reason: "model_type \(model.modelType): mesh-transformer-jax did not train this family (no MeshTransformerLayout)")
        }
        return (model, layout.meshTransformerSources, String(decoding: data, as: UTF8.self))
    }

    /// A leaf's full shape (before sharding): the parameter's (haiku's `[in, out]` for a kernel),
    /// or for a leaf added to a table (the embedding's bias) its last axis.
    static func fullShape(_ leaf: MeshTransformerSource.Leaf, of source: MeshTransformerSource, parameter shape: [Int]) -> [Int] {
        if leaf != source.leaves[0] { return [shape.last!] }
        return source.transposed ? shape.reversed() : shape
    }

    /// A leaf's shape on one of `shards` shards, or why it cannot be split that way.
    static func shardShape(_ full: [Int], _ split: MeshTransformerSource.Split, shards: Int) -> [Int]? {
        var shape = full
        switch split {
        case .lastAxis: guard shape[shape.count - 1] % shards == 0 else { return nil }; shape[shape.count - 1] /= shards
        case .firstAxis: guard shape[0] % shards == 0 else { return nil }; shape[0] /= shards
        case .summed, .firstShard: break
        }
        return shape
    }

    /// The parameters' leaves in jax's tree order: a dict flattens with its keys sorted, and
    /// haiku's parameters are {module: {name: array}}.
    static func leafOrder(_ sources: [String: MeshTransformerSource]) -> [MeshTransformerSource.Leaf] {
        let leaves = Set(sources.values.flatMap(\.leaves))
        return leaves.sorted { a, b in
            a.module == b.module ? Array(a.name.utf8).lexicographicallyPrecedes(Array(b.name.utf8))
                                 : Array(a.module.utf8).lexicographicallyPrecedes(Array(b.module.utf8))
        }
    }

    /// mesh-transformer-jax's parameter count for `model` on `shards` shards (what it reported).
    public static func theirParameterCount(of model: any TrainableModel, shards: Int) throws -> Int {
        guard let layout = model as? MeshTransformerLayout else { throw InteropError.invalidFile(path: model.modelType, reason: "no MeshTransformerLayout") }
        let sources = layout.meshTransformerSources
        let shapes = Dictionary(uniqueKeysWithValues: model.layout.map { ($0.name, $0.shape) })
        var total = 0
        for (name, source) in sources {
            for leaf in source.leaves {
                let full = fullShape(leaf, of: source, parameter: shapes[name]!)
                guard let piece = shardShape(full, leaf.split, shards: shards) else { throw InteropError.invalidFile(path: name, reason: "does not split into \(shards) shards") }
                total += shards * piece.reduce(1, *)
            }
        }
        return total
    }

    /// Every shard folder's arrays, in order.
    static func readShards(_ directory: String) throws -> [[(archive: NumpyArchive, array: NumpyArray)]] {
        let folder = URL(fileURLWithPath: directory)
        var shards: [[(archive: NumpyArchive, array: NumpyArray)]] = []
        while FileManager.default.fileExists(atPath: folder.appendingPathComponent("shard_\(shards.count)").path) {
            let shard = folder.appendingPathComponent("shard_\(shards.count)")
            var pieces = 0
            while FileManager.default.fileExists(atPath: shard.appendingPathComponent("\(pieces).npz").path) { pieces += 1 }
            guard pieces > 0 else { throw InteropError.invalidFile(path: shard.path, reason: "holds no 0.npz") }
            if FileManager.default.fileExists(atPath: shard.appendingPathComponent("\(pieces + 1).npz").path) {
                throw InteropError.invalidFile(path: shard.appendingPathComponent("\(pieces).npz").path, reason: "missing, while \(pieces + 1).npz is there")
            }
            var arrays: [(archive: NumpyArchive, array: NumpyArray)] = []
            for piece in 0..<pieces {
                let archive = try NumpyArchive(path: shard.appendingPathComponent("\(piece).npz").path)
                arrays += archive.arrays.map { (archive, $0) }
            }
            shards.append(arrays)
        }
        guard !shards.isEmpty else { throw InteropError.invalidFile(path: directory, reason: "holds no shard_0 folder (not a mesh-transformer-jax step_N checkpoint?)") }
        // A shard folder past a gap means one is missing in the middle.
        let next = folder.appendingPathComponent("shard_\(shards.count + 1)").path
        if FileManager.default.fileExists(atPath: next) {
            throw InteropError.invalidFile(path: folder.appendingPathComponent("shard_\(shards.count)").path, reason: "missing, while shard_\(shards.count + 1) is there")
        }
        return shards
    }

    public static func load(directory: String, config configPath: String) throws -> Imported {
        let (model, sources, configJSON) = try model(configPath)
        let shapes = Dictionary(uniqueKeysWithValues: model.layout.map { ($0.name, $0.shape) })
        guard Set(sources.keys) == Set(shapes.keys) else {
            throw InteropError.invalidFile(path: configPath, reason: "the family's mesh-transformer-jax layout does not cover its parameters")
        }
        let shards = try readShards(directory)
        let count = shards.count
        let order = leafOrder(sources)
        let p = order.count
        let arraysPerShard = shards[0].count
        guard shards.allSatisfy({ $0.count == arraysPerShard }) else {
            throw InteropError.invalidFile(path: directory, reason: "its shards hold different numbers of arrays (\(shards.map { String($0.count) }.joined(separator: ", ")))")
        }
        let full: Bool
        switch arraysPerShard {
        case p + 1: full = false
        case 3 * p + 3: full = true
        default:
            throw InteropError.invalidFile(path: directory, reason: "holds \(arraysPerShard) arrays per shard; a \(model.modelType) of this config has \(p) parameter leaves, so \(p + 1) (slim) or \(3 * p + 3) (full, with the Adam state)")
        }
        let parametersAt = full ? 2 + 2 * p : 0
        let index = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        // Every array's shape is checked before the store is allocated (GPT-J-6B's is 24 GB).
        let owners = Dictionary(sources.flatMap { name, source in source.leaves.map { ($0, (name, source)) } }, uniquingKeysWith: { first, _ in first })
        for leaf in order {
            let (name, source) = owners[leaf]!
            let shape = fullShape(leaf, of: source, parameter: shapes[name]!)
            guard let piece = shardShape(shape, leaf.split, shards: count) else {
                throw InteropError.invalidFile(path: directory, reason: "\(leaf.module)/\(leaf.name) of shape \(shape) does not split into \(count) shards")
            }
            for base in full ? [parametersAt, 1, 1 + p] : [parametersAt] {
                for shard in 0..<count {
                    let (archive, array) = shards[shard][base + index[leaf]!]
                    guard array.shape == piece else {
                        throw InteropError.invalidFile(path: archive.path, reason: "array \(array.name) (\(leaf.module)/\(leaf.name)) has shape \(array.shape), expected \(piece) on \(count) shards")
                    }
                }
            }
        }
        let store = try model.makeParameterStore()

        // One leaf (at position `base + index[leaf]` of the tree; its shapes checked above) over every shard, put together.
        func assemble(_ leaf: MeshTransformerSource.Leaf, full shape: [Int], base: Int, moment: Bool) throws -> [Float] {
            let piece = shardShape(shape, leaf.split, shards: count)!
            let pieces = try (0..<count).map { shard -> [Float] in
                let (archive, array) = shards[shard][base + index[leaf]!]
                return try archive.floats(array)
            }
            switch leaf.split {
            case .firstShard: return pieces[0]
            case .summed:
                // Each copy took the whole gradient, so their moments are alike: shard 0's is the moment.
                if moment { return pieces[0] }
                var sum = pieces[0]
                for other in pieces.dropFirst() { for i in sum.indices { sum[i] += other[i] } }
                return sum
            case .firstAxis: return pieces.flatMap { $0 }
            case .lastAxis:
                let (columns, rows) = (piece[piece.count - 1], piece.dropLast().reduce(1, *))
                var whole = [Float](repeating: 0, count: rows * columns * count)
                for (shard, values) in pieces.enumerated() {
                    for r in 0..<rows { for c in 0..<columns { whole[r * columns * count + shard * columns + c] = values[r * columns + c] } }
                }
                return whole
            }
        }

        func parameter(_ name: String, base: Int, moment: Bool) throws -> [Float] {
            let source = sources[name]!, shape = shapes[name]!
            let leaves = moment ? [source.leaves[0]] : source.leaves
            var values = try assemble(leaves[0], full: fullShape(leaves[0], of: source, parameter: shape), base: base, moment: moment)
            if source.transposed { values = transpose(values, rows: shape[1], columns: shape[0]) }
            for extra in leaves.dropFirst() {
                // A vector added to every row (the embedding's bias folded into its table).
                let vector = try assemble(extra, full: fullShape(extra, of: source, parameter: shape), base: base, moment: false)
                for i in values.indices { values[i] += vector[i % vector.count] }
            }
            return values
        }

        for entry in store.entries { try store.set(entry.name, to: try parameter(entry.name, base: parametersAt, moment: false)) }
        let theirs = try theirParameterCount(of: model, shards: count)
        var notes = ["mesh-transformer-jax checkpoint on \(count) shards, \(full ? "full (parameters and Adam state)" : "slim (parameters only)"), stored as "
                     + Set(shards[0][parametersAt..<(parametersAt + p)].map(\.array.descr)).sorted().joined(separator: "/")
                     + ": its \(theirs) parameters (every shard's copies) are our \(store.parameterCount)"]
        let (stepArchive, stepArray) = shards[0][parametersAt + p]
        let step = try stepArchive.integer(stepArray)
        guard step >= 0 else { throw InteropError.invalidFile(path: stepArchive.path, reason: "the step is \(step)") }

        var optimizer: AdamW?
        if full {
            let adam = try AdamW(configuration: AdamWConfiguration(schedule: .constant(0)), parameters: store, decayMask: .all)
            for (base, buffer) in [(1, adam.firstMoment), (1 + p, adam.secondMoment)] {
                for entry in store.entries {
                    for (i, value) in try parameter(entry.name, base: base, moment: true).enumerated() { buffer.values[entry.offset + i] = value }
                }
            }
            let (countArchive, countArray) = shards[0][0]
            adam.stepCount = try countArchive.integer(countArray)
            optimizer = adam
            notes.append("Adam state: \(adam.stepCount) updates applied; the step is \(step)")
            let summed = sources.filter { $0.value.leaves[0].split == .summed }.keys.sorted()
            if count > 1, !summed.isEmpty {
                notes.append("\(summed.count) parameters were \(count) summed copies (\(summed.first!), …): each copy took a whole Adam step, so mesh-transformer-jax moved their sum \(count)× as far; their moments are one copy's, and from here each moves one step")
            }
            for (name, source) in sources.sorted(by: { $0.key < $1.key }) where source.leaves.count > 1 {
                notes.append("\(source.leaves.dropFirst().map { "\($0.module)/\($0.name)" }.joined(separator: ", ")) is folded into \(name); its moments are not kept")
            }
        }
        return Imported(model: model, configJSON: configJSON, parameters: store, optimizer: optimizer, step: step, shards: count,
                        theirParameterCount: theirs, notes: notes)
    }
}

