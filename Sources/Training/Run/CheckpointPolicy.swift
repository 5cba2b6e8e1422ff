import Checkpointing
import Foundation

/// When a run writes checkpoints and which it keeps: every `checkpoint_every` steps, at each
/// phase end and at `keep_steps`; the newest `keep_checkpoints` of the others survive pruning.
struct CheckpointPolicy {
    let folder: URL
    let every: Int
    let keepNewest: Int
    /// Steps never pruned: phase ends and the recipe's `keep_steps`.
    let kept: Set<Int>

    init(recipe: Recipe) {
        folder = URL(fileURLWithPath: recipe.outputFolder)
        every = recipe.checkpointEvery
        keepNewest = recipe.keepCheckpoints
        kept = Set(recipe.phaseStarts.enumerated().map { $0.element + recipe.phases[$0.offset].steps } + recipe.keepSteps)
    }

    func isDue(step: Int) -> Bool { step % every == 0 || kept.contains(step) }

    func path(step: Int) -> String { folder.appendingPathComponent(String(format: "step-%08d.h5", step)).path }

    /// The run's `step-*.h5` files, oldest first (partial files have hidden names and never count).
    func checkpoints() -> [(step: Int, url: URL)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("step-"), name.hasSuffix(".h5"), let step = Int(name.dropFirst(5).dropLast(3)) else { return nil }
            return (step, folder.appendingPathComponent(name))
        }.sorted { $0.0 < $1.0 }
    }

    func newest() -> URL? { checkpoints().last?.url }

    /// Removes the hidden temporaries (`.step-*.h5.partial-<pid>`, file or folder) that a process
    /// killed inside a checkpoint write left behind; returns their paths. Call on the main rank
    /// before the run writes: a live writer's temporary has this run's pid and is never there yet.
    func removeStaleTemporaries() -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        return names.filter { $0.hasPrefix(".step-") && $0.contains(".partial-") }.sorted().map { name in
            let path = folder.appendingPathComponent(name).path
            try? FileManager.default.removeItem(atPath: path)
            return path
        }
    }

    func prune() {
        for old in checkpoints().filter({ !kept.contains($0.step) }).dropLast(keepNewest) { ShardedCheckpoint.remove(old.url.path) }
    }
}
