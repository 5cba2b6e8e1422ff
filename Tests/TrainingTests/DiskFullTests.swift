import CheckpointedModels
import Checkpointing
import Foundation
import Models
import Testing
import TestSupport
import Training

/// A checkpoint written to a full disk: a real small filesystem (a 12 MiB tmpfs mounted for the
/// test; one tiny-recipe checkpoint is 7.5 MiB) fills on the second checkpoint.
extension MPITrainingTests {
    @Test func fullDiskLeavesThePreviousCheckpointAndStopsClearly() throws {
        #expect(geteuid() == 0, "mounting a tmpfs needs root (the CI machine and this one are)")
        let mountPoint = Self.folder("full-disk")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        let mount = try Self.command("/bin/mount", ["-t", "tmpfs", "-o", "size=12m", "tmpfs", mountPoint.path])
        #expect(mount == 0, "mount tmpfs")
        defer { _ = try? Self.command("/bin/umount", [mountPoint.path]) }

        let run = mountPoint.appendingPathComponent("run")
        let outcome = try Self.train(ranks: nil, output: run, Self.shortRun)
        #expect(outcome.status != 0, "the run cannot finish on a full disk")
        #expect(outcome.output.contains("writing failed (the disk is full:"), "\(outcome.output)")
        #expect(!outcome.output.contains("Program crashed") && !outcome.output.contains("MPI_ABORT"), "\(outcome.output)")
        let names = try FileManager.default.contentsOfDirectory(atPath: run.path).sorted()
        #expect(names == ["metrics.jsonl", "step-00000008.h5", "tensorboard"], "no partial file is left: \(names)")
        // The previous checkpoint is whole and resumable elsewhere.
        let loaded = try ModelRegistry.load(checkpoint: run.appendingPathComponent("step-00000008.h5").path)
        #expect(loaded.contents.progress.step == 8 && loaded.contents.hasOptimizerState)
    }

    /// The same with a sharded checkpoint (np 2, ZeRO-1): a rank whose shard cannot be written fails
    /// the checkpoint on every rank, the job ends without hanging, and neither an index nor a shard
    /// folder of the failed step is left.
    @Test func fullDiskFailsAShardedCheckpointOnEveryRank() throws {
        #expect(geteuid() == 0, "mounting a tmpfs needs root (the CI machine and this one are)")
        let mountPoint = Self.folder("full-disk-sharded")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        #expect(try Self.command("/bin/mount", ["-t", "tmpfs", "-o", "size=12m", "tmpfs", mountPoint.path]) == 0, "mount tmpfs")
        defer { _ = try? Self.command("/bin/umount", [mountPoint.path]) }

        let run = mountPoint.appendingPathComponent("run")
        let started = Date()
        let outcome = try Self.train(ranks: 2, output: run, Self.shortRun + ["sharding=optimizer"])
        #expect(outcome.status != 0, "the run cannot finish on a full disk")
        #expect(Date().timeIntervalSince(started) < 120, "the job ended")
        #expect(outcome.output.contains("the disk is full"), "\(outcome.output)")
        let names = try FileManager.default.contentsOfDirectory(atPath: run.path).sorted()
        #expect(names.filter { $0.hasPrefix("step-00000008.h5") }.count == 2, "step 8's index and its shard folder: \(names)")
        #expect(!names.contains { $0.hasPrefix("step-00000016") || $0.hasPrefix(".") }, "nothing of the failed step is left: \(names)")
        let loaded = try ModelRegistry.load(checkpoint: run.appendingPathComponent("step-00000008.h5").path)
        #expect(loaded.contents.progress.step == 8 && loaded.contents.hasOptimizerState)
    }

    /// Runs a helper command (mount, namespaces) to its end, within two minutes.
    static func command(_ path: String, _ arguments: [String]) throws -> Int32 {
        try ChildProcess(path, arguments, environment: ProcessInfo.processInfo.environment).finish(seconds: 120).status
    }
}
