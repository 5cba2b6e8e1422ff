import Checkpointing
import Distributed
import Foundation
import Tensor

extension Trainer {
    /// Writes a checkpoint of the whole state; every rank calls it. Replicated: rank 0 writes one
    /// file. Sharded: every rank writes its own range in parallel and rank 0 then writes the index
    /// (`ShardedCheckpoint`). Either way the file at `path` is complete or absent, and a failure on
    /// any rank throws on every rank (none is left waiting for the others).
    public func checkpoint(to path: String, recipe: String, dataPosition: [String: Int64] = [:]) throws {
        let runtime = reducer.runtime
        let isMain = runtime?.isMain ?? true
        guard let shards, let runtime else {
            if isMain { try save(to: path, recipe: recipe, dataPosition: dataPosition) }
            return
        }
        let token = UInt64(bitPattern: runtime.broadcast(Int64.random(in: 1..<(1 << 48)), what: "the checkpoint's shard folder name"))
        let folderName = ShardedCheckpoint.folderName(for: path, token: token)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(folderName).path
        var failure: Error?
        do {
            try ShardedCheckpoint.writeShard(folder: folder, rank: runtime.rank, range: shards.ranges[runtime.rank], parameters: parameters, optimizer: optimizer)
        } catch { failure = error }
        try agree(runtime, failure, what: "writing the shards of \(path)") { try? FileManager.default.removeItem(atPath: folder) }
        failure = nil
        if isMain {
            do {
                try ShardedCheckpoint.writeIndex(to: path, folderName: folderName, ranges: shards.ranges, parameters: parameters, optimizer: optimizer,
                                                 progress: TrainingProgress(step: step, seed: seed, dataPosition: dataPosition),
                                                 modelConfig: try model.checkpointConfig(), recipe: recipe)
            } catch { failure = error }
        }
        try agree(runtime, failure, what: "writing the index of \(path)") { try? FileManager.default.removeItem(atPath: folder) }
    }

    /// Every rank learns whether any failed; on failure rank 0 runs `cleanUp` and every rank throws
    /// (its own error where it has one).
    private func agree(_ runtime: MPIRuntime, _ failure: Error?, what: String, cleanUp: () -> Void) throws {
        let failed = runtime.sum([failure == nil ? 0 : 1], what: what)[0]
        guard failed > 0 else { return }
        if runtime.isMain { cleanUp() }
        if let failure { throw failure }
        throw CheckpointError.file(path: what, reason: "failed on \(Int(failed)) other rank(s) (their errors are above); nothing was renamed into place")
    }
}
