import AtomicFiles
import Foundation
import Optimization
import Tensor

/// Where a run stands, beside its weights: enough to continue exactly where it stopped.
public struct TrainingProgress: Equatable, Sendable {
    /// Optimizer updates done.
    public var step: Int
    /// The run's seed; with `step` it fixes every random draw still to come (counter-based RNG).
    public var seed: UInt64
    /// The data loader's position, as the loader defines it (named counters).
    public var dataPosition: [String: Int64]

    public init(step: Int, seed: UInt64, dataPosition: [String: Int64] = [:]) {
        (self.step, self.seed, self.dataPosition) = (step, seed, dataPosition)
    }
}

/// What a checkpoint holds besides tensors.
public struct CheckpointContents: Equatable, Sendable {
    public var progress: TrainingProgress
    /// The model's `config.json` (transformers keys).
    public var modelConfig: String
    /// The resolved recipe the run used, as text ("" for converted weights).
    public var recipe: String
    /// Whether optimizer moments were stored.
    public var hasOptimizerState: Bool

    public init(progress: TrainingProgress, modelConfig: String, recipe: String, hasOptimizerState: Bool) {
        (self.progress, self.modelConfig, self.recipe, self.hasOptimizerState) = (progress, modelConfig, recipe, hasOptimizerState)
    }
}

/// One HDF5 file per checkpoint with the whole training state; layout in `Checkpoints/README.md`:
/// `/format_version`, `/model_config`, `/recipe`, `/params/<name>`, `/optimizer/<slot>/<name>` (AdamW: mu, nu),
/// `/optimizer/count`, `/progress/{step,seed}`, `/progress/data/<counter>`. Every dataset carries a
/// fletcher32 checksum.
public enum Checkpoint {
    public static let formatVersion: Int64 = 1

    /// Writes the state to `path` atomically: into a temporary file beside it, flushed and synced,
    /// then renamed over `path`. A crash at any point leaves the previous file at `path` intact.
    public static func write(
        to path: String, parameters store: ParameterStore, optimizer: (any OptimizerState)?, progress: TrainingProgress,
        modelConfig: String, recipe: String
    ) throws {
        if let optimizer, optimizer.ownedRange != 0..<store.bufferCount {
            throw CheckpointError.file(path: path, reason: "the optimizer holds one shard of the moments: a sharded run writes with ShardedCheckpoint")
        }
        try writeAtomically(to: path) { file in
            try writeHeader(to: file, modelConfig: modelConfig, recipe: recipe)
            try writeTensors(of: store, from: store.values, under: "/params", to: file)
            if let optimizer {
                for slot in optimizer.stateSlots {
                    try writeTensors(of: store, from: slot.buffer.values, under: "/optimizer/\(slot.name)", to: file)
                }
                try file.write(integers: [Int64(optimizer.stepCount)], at: "/optimizer/count")
            }
            try writeProgress(progress, to: file)
        }
    }

    static func writeHeader(to file: HDF5File, modelConfig: String, recipe: String) throws {
        try file.write(integers: [formatVersion], at: "/format_version")
        try file.write(text: modelConfig, at: "/model_config")
        try file.write(text: recipe, at: "/recipe")
    }

    static func writeProgress(_ progress: TrainingProgress, to file: HDF5File) throws {
        try file.write(integers: [Int64(progress.step)], at: "/progress/step")
        try file.write(integers: [Int64(bitPattern: progress.seed)], at: "/progress/seed")
        for (name, value) in progress.dataPosition.sorted(by: { $0.key < $1.key }) {
            try file.write(integers: [value], at: "/progress/data/\(name)")
        }
    }

    /// Writes `store.gradients` as `/gradients/<name>` in the parameters' shapes (what `bertin eval
    /// --gradients` produces), atomically like a checkpoint.
    public static func writeGradients(to path: String, parameters store: ParameterStore) throws {
        try writeAtomically(to: path) { file in
            try writeTensors(of: store, from: store.gradients, under: "/gradients", to: file)
        }
    }

    /// Runs `body` on a temporary file beside `path`, flushes and syncs it, then renames it over
    /// `path`; on any failure the temporary file is removed and `path` is left as it was.
    static func writeAtomically(to path: String, _ body: (HDF5File) throws -> Void) throws {
        do {
            try AtomicFile.replace(path) { temporary in
                let file = try HDF5File.create(at: temporary)
                do {
                    try body(file)
                    try file.close()
                } catch {
                    file.abandon()
                    throw error
                }
            }
        } catch let failure as AtomicFile.Failure {
            throw CheckpointError.file(path: failure.path, reason: failure.reason + freeSpaceNote(for: path))
        } catch let error as CheckpointError {
            throw error.appending(freeSpaceNote(for: path))
        }
    }

    /// " (the disk is full: …)" when the folder of `path` has less room left than a checkpoint
    /// needs, which is what a failed write usually means; "" otherwise.
    static func freeSpaceNote(for path: String) -> String {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var stats = statvfs()
        guard statvfs(folder, &stats) == 0 else { return "" }
        let free = UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
        return free < 64 << 20 ? " (the disk is full: \(free / 1024) KiB free in \(folder); nothing was renamed into place: earlier checkpoints are intact)" : ""
    }

    /// Reads the parameters into `store` (whose layout must match the file's exactly) and, when
    /// `optimizer` is given, its moments (its `ownedRange` of them) and count. Reads checkpoints
    /// written whole and sharded ones (`ShardedCheckpoint`) alike, whatever the number of shards.
    /// Nothing is half-loaded into the optimizer's count on failure, but `store` may hold partially
    /// read values: callers load into fresh stores.
    /// `parameterRange`: read only that part of the parameters (a ZeRO-3 rank's own shard).
    public static func read(from path: String, into store: ParameterStore, optimizer: (any OptimizerState)? = nil,
                            parameterRange: Range<Int>? = nil) throws -> CheckpointContents {
        let file = try openChecked(path)
        if let range = parameterRange {
            try readTensors(of: store, into: UnsafeMutableBufferPointer(rebasing: store.values[range]), range: range, under: "/params", from: file)
        } else {
            try readTensors(of: store, into: store.values, under: "/params", from: file)
        }
        let hasOptimizerState = file.exists("/optimizer")
        if let optimizer {
            guard hasOptimizerState else {
                throw CheckpointError.file(path: path, reason: "holds no optimizer state (converted weights?): cannot resume training from it")
            }
            for slot in optimizer.stateSlots {
                try readTensors(of: store, into: slot.buffer.values, range: optimizer.ownedRange, under: "/optimizer/\(slot.name)", from: file)
            }
            optimizer.stepCount = Int(try single(file, "/optimizer/count"))
        }
        var dataPosition: [String: Int64] = [:]
        if file.exists("/progress/data") {
            for name in try file.names(in: "/progress/data") { dataPosition[name] = try single(file, "/progress/data/\(name)") }
        }
        let progress = TrainingProgress(step: Int(try single(file, "/progress/step")),
                                        seed: UInt64(bitPattern: try single(file, "/progress/seed")), dataPosition: dataPosition)
        return CheckpointContents(progress: progress, modelConfig: try file.readText(at: "/model_config"),
                                  recipe: try file.readText(at: "/recipe"), hasOptimizerState: hasOptimizerState)
    }

    /// Opens a checkpoint for reading: its format version must be this build's, and a sharded one's
    /// shards must all be there.
    static func openChecked(_ path: String) throws -> HDF5File {
        let file = try HDF5File.open(at: path)
        let version = try file.readIntegers(at: "/format_version")
        guard version == [formatVersion] else {
            throw CheckpointError.dataset(path: path, dataset: "/format_version", reason: "is \(version.map(String.init).joined(separator: ", ")), this build reads version \(formatVersion)")
        }
        if file.exists("/shards") { try ShardedCheckpoint.checkShards(of: file) }
        return file
    }

    /// Reads only the model config, to build the model before its parameters are loaded.
    public static func modelConfig(at path: String) throws -> String {
        try HDF5File.open(at: path).readText(at: "/model_config")
    }

    private static func writeTensors(of store: ParameterStore, from buffer: UnsafeMutableBufferPointer<Float>, under group: String, to file: HDF5File) throws {
        for entry in store.entries {
            let values = UnsafeBufferPointer(start: buffer.baseAddress! + entry.offset, count: entry.count)
            try file.write(floats: values, shape: entry.shape, at: "\(group)/\(entry.name)")
        }
    }

    /// Reads flat range `range` of the store's layout (all of it by default) into `buffer`, whose
    /// element 0 is flat position `range.lowerBound`.
    private static func readTensors(of store: ParameterStore, into buffer: UnsafeMutableBufferPointer<Float>, range: Range<Int>? = nil,
                                    under group: String, from file: HDF5File) throws {
        let stored = Set(try file.names(in: group))
        if let extra = stored.subtracting(store.entries.map(\.name)).sorted().first {
            throw CheckpointError.dataset(path: file.path, dataset: "\(group)/\(extra)", reason: "is not a parameter of this model (a different architecture or size?)")
        }
        let range = range ?? 0..<store.bufferCount
        for entry in store.entries {
            let lower = max(entry.offset, range.lowerBound), upper = min(entry.offset + entry.count, range.upperBound)
            let name = "\(group)/\(entry.name)"
            if lower == entry.offset && upper == entry.offset + entry.count {
                try file.readFloats(at: name, expecting: entry.shape, into: buffer.baseAddress! + (entry.offset - range.lowerBound))
            } else if lower < upper {
                try file.readFloats(at: name, expecting: entry.shape, range: (lower - entry.offset)..<(upper - entry.offset),
                                    into: buffer.baseAddress! + (lower - range.lowerBound))
            } else if !file.exists(name) {
                throw CheckpointError.dataset(path: file.path, dataset: name, reason: "missing")
            }
        }
    }

    static func single(_ file: HDF5File, _ name: String) throws -> Int64 {
        let values = try file.readIntegers(at: name)
        guard values.count == 1 else { throw CheckpointError.dataset(path: file.path, dataset: name, reason: "holds \(values.count) values, expected 1") }
        return values[0]
    }
}
