import Foundation
import Optimization
import Tensor

/// A checkpoint of a sharded run, written by every rank in parallel: nothing is gathered on one
/// rank, which could not hold a 6B model's state.
///
/// Rank r writes its flat range of the parameters and moments to `<name>.shards-<token>/rank-<r>.h5`
/// (1-D datasets `/params`, `/optimizer/mu`, `/optimizer/nu`, fletcher32, and `/shard/range`);
/// then rank 0 writes the index `<name>`: the same file a whole checkpoint is (`Checkpoint`), whose
/// `/params/<name>` and `/optimizer/{mu,nu}/<name>` are HDF5 virtual datasets at full shape over
/// the shard files, plus `/shards/folder` and `/shards/ranges`. h5py and h5dump open the index as
/// one file. The index is renamed into place only after every shard is complete, so a checkpoint
/// is whole or absent; `token` makes each write's folder new, so rewriting a step never touches
/// the shards an existing index points at.
public enum ShardedCheckpoint {
    /// The shard folder's name (beside the index) for one write.
    public static func folderName(for path: String, token: UInt64) -> String {
        URL(fileURLWithPath: path).lastPathComponent + ".shards-" + String(token, radix: 16)
    }

    static func shardName(rank: Int) -> String { String(format: "rank-%05d.h5", rank) }

    /// Writes this rank's range of the state into `folder` (created if needed), atomically.
    public static func writeShard(folder: String, rank: Int, range: Range<Int>, parameters store: ParameterStore, optimizer: any OptimizerState) throws {
        guard optimizer.ownedRange == range else {
            throw CheckpointError.file(path: folder, reason: "rank \(rank)'s optimizer holds \(optimizer.ownedRange), its shard is \(range)")
        }
        try Checkpoint.writeAtomically(to: (folder as NSString).appendingPathComponent(shardName(rank: rank))) { file in
            try file.write(integers: [Int64(range.lowerBound), Int64(range.upperBound)], at: "/shard/range")
            try file.write(floats: UnsafeBufferPointer(rebasing: store.values[range]), shape: [range.count], at: "/params")
            for slot in optimizer.stateSlots {
                try file.write(floats: UnsafeBufferPointer(slot.buffer.values), shape: [range.count], at: "/optimizer/\(slot.name)")
            }
        }
    }

    /// Writes the index (rank 0, once every shard of `folderName` is written), atomically, then
    /// removes the shard folders of `path` it does not use (a replaced write's, a failed one's).
    /// `ranges[r]`: the part of the flat buffer rank r wrote (ZeRO's `ParameterShards.ranges`).
    public static func writeIndex(to path: String, folderName: String, ranges: [Range<Int>], parameters store: ParameterStore,
                                  optimizer: any OptimizerState, progress: TrainingProgress, modelConfig: String, recipe: String) throws {
        try Checkpoint.writeAtomically(to: path) { file in
            try Checkpoint.writeHeader(to: file, modelConfig: modelConfig, recipe: recipe)
            try file.write(text: folderName, at: "/shards/folder")
            try file.write(integers: ranges.flatMap { [Int64($0.lowerBound), Int64($0.upperBound)] }, at: "/shards/ranges")
            for group in ["/params"] + optimizer.stateSlots.map({ "/optimizer/\($0.name)" }) {
                for entry in store.entries {
                    let tensor = entry.offset..<(entry.offset + entry.count)
                    let pieces = ranges.map { $0.clamped(to: tensor) }.enumerated().filter { !$0.element.isEmpty }.map { rank, piece in
                        HDF5File.VirtualPiece(file: folderName + "/" + shardName(rank: rank), dataset: group,
                                              sourceRange: (piece.lowerBound - ranges[rank].lowerBound)..<(piece.upperBound - ranges[rank].lowerBound),
                                              tensorRange: (piece.lowerBound - entry.offset)..<(piece.upperBound - entry.offset))
                    }
                    try file.writeVirtual(shape: entry.shape, pieces: pieces, at: "\(group)/\(entry.name)")
                }
            }
            try file.write(integers: [Int64(optimizer.stepCount)], at: "/optimizer/count")
            try Checkpoint.writeProgress(progress, to: file)
        }
        removeUnusedShards(of: path, keeping: folderName)
    }

    /// Deletes a checkpoint: the file and every shard folder of its name.
    public static func remove(_ path: String) {
        removeUnusedShards(of: path, keeping: nil)
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Removes `<name>.shards-*` beside `path` except `keeping`.
    public static func removeUnusedShards(of path: String, keeping: String?) {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        let prefix = url.lastPathComponent + ".shards-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasPrefix(prefix) && name != keeping {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }

    /// Before reading an index: every shard file it names is there, readable, and holds the range
    /// the index says (a virtual dataset would silently read a missing shard as fill values).
    static func checkShards(of index: HDF5File) throws {
        let folder = try index.readText(at: "/shards/folder")
        let bounds = try index.readIntegers(at: "/shards/ranges")
        guard bounds.count % 2 == 0, !bounds.isEmpty else {
            throw CheckpointError.dataset(path: index.path, dataset: "/shards/ranges", reason: "holds \(bounds.count) values, expected lower/upper pairs")
        }
        let base = URL(fileURLWithPath: index.path).deletingLastPathComponent().appendingPathComponent(folder)
        for rank in 0..<(bounds.count / 2) where bounds[2 * rank] < bounds[2 * rank + 1] {
            let shard = base.appendingPathComponent(shardName(rank: rank)).path
            let file: HDF5File
            do { file = try HDF5File.open(at: shard) } catch let error as CheckpointError {
                throw CheckpointError.file(path: index.path, reason: "shard \(rank) of \(bounds.count / 2) is unusable: \(error)")
            }
            let range = try file.readIntegers(at: "/shard/range")
            guard range == [bounds[2 * rank], bounds[2 * rank + 1]] else {
                throw CheckpointError.file(path: index.path, reason: "shard \(shard) holds range \(range), the index expects \(bounds[2 * rank])..<\(bounds[2 * rank + 1])")
            }
        }
    }
}
