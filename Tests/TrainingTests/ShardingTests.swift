import Foundation
import Testing
import TestSupport
import Training

/// ZeRO stages 1, 2 and 3 under mpirun: the same bits as the replicated run at every stage and
/// rank count, with one or several devices per rank, and sharded checkpoints that resume on any layout.
extension MPITrainingTests {
    /// Copies a checkpoint (a whole file, or a sharded index with its shard folder) between run folders.
    static func copyCheckpoint(_ name: String, from source: URL, to destination: URL) throws {
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        for item in try FileManager.default.contentsOfDirectory(atPath: source.path) where item.hasPrefix(name) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(item), to: destination.appendingPathComponent(item))
        }
    }

    static func expectSameState(_ label: String, _ run: URL, _ checkpoint: String, _ expected: [UInt32]) throws {
        let state = try Self.state(run.appendingPathComponent(checkpoint).path)
        let differing = differingElements(state, expected)
        print("\(label): \(differing) of \(expected.count) parameter and moment values differ from the replicated run")
        #expect(differing == 0, "\(label)")
    }

    @Test func shardedStagesAreBitwiseReplicatedAndResumeOnAnyLayout() throws {
        // Clipping at 0.05 is active at every step here, so the sharded norm is exercised too.
        let steps = ["phases.0.steps=6", "phases.1.steps=2", "checkpoint_every=3", "keep_checkpoints=10", "optimizer.clip_global_norm=0.05"]
        let replicated = Self.folder("zero-replicated")
        let reference = try Self.train(ranks: 2, output: replicated, steps)
        #expect(reference.status == 0, "\(reference.output)")
        let expected = try Self.state(replicated.appendingPathComponent("step-00000008.h5").path)
        var runs: [String: URL] = [:]
        for stage in ["optimizer", "gradients", "parameters"] {
            for ranks in [2, 4] {
                let output = Self.folder("zero-\(stage)-np\(ranks)")
                let outcome = try Self.train(ranks: ranks, output: output, steps + ["sharding=\(stage)"])
                #expect(outcome.status == 0, "\(outcome.output)")
                #expect(outcome.output.contains("state sharded (\(stage))"), "\(outcome.output)")
                #expect(try FileManager.default.contentsOfDirectory(atPath: output.path).contains { $0.hasPrefix("step-00000008.h5.shards-") }, "written sharded")
                try Self.expectSameState("sharding \(stage) np \(ranks)", output, "step-00000008.h5", expected)
                runs["\(stage)-\(ranks)"] = output
            }
        }
        // One device per rank: no Double accumulator, each bucket staged for its reduce-scatter.
        let perRank = Self.folder("zero-replicated-4x1")
        #expect(try Self.train(ranks: 4, output: perRank, steps + ["devices=4"]).status == 0)
        let expectedPerRank = try Self.state(perRank.appendingPathComponent("step-00000008.h5").path)
        let gradientsPerRank = Self.folder("zero-gradients-4x1")
        #expect(try Self.train(ranks: 4, output: gradientsPerRank, steps + ["devices=4", "sharding=gradients"]).status == 0)
        try Self.expectSameState("sharding gradients, 4 ranks of one device", gradientsPerRank, "step-00000008.h5", expectedPerRank)

        // Saved by 4 ranks sharding parameters, resumed by 2 sharding the optimizer ...
        let crossed = Self.folder("zero-resume-4to2")
        try Self.copyCheckpoint("step-00000003.h5", from: runs["parameters-4"]!, to: crossed)
        let resumed = try Self.train(ranks: 2, output: crossed, steps + ["sharding=optimizer"], resume: true)
        #expect(resumed.status == 0 && resumed.output.contains("resuming from"), "\(resumed.output)")
        try Self.expectSameState("saved by np 4 parameters, resumed by np 2 optimizer", crossed, "step-00000008.h5", expected)
        // ... by 2 ranks sharding parameters, from 4 sharding gradients ...
        let regathered = Self.folder("zero-resume-gradients-to-parameters")
        try Self.copyCheckpoint("step-00000003.h5", from: runs["gradients-4"]!, to: regathered)
        #expect(try Self.train(ranks: 2, output: regathered, steps + ["sharding=parameters"], resume: true).status == 0)
        try Self.expectSameState("saved by np 4 gradients, resumed by np 2 parameters", regathered, "step-00000008.h5", expected)
        // ... by a plain replicated process ...
        let plain = Self.folder("zero-resume-plain")
        try Self.copyCheckpoint("step-00000006.h5", from: runs["optimizer-2"]!, to: plain)
        #expect(try Self.train(ranks: nil, output: plain, steps, resume: true).status == 0)
        try Self.expectSameState("saved by np 2 optimizer, resumed replicated by one process", plain, "step-00000008.h5", expected)
        // ... and a replicated checkpoint resumed sharded.
        let sharded = Self.folder("zero-resume-replicated-to-gradients")
        try Self.copyCheckpoint("step-00000003.h5", from: replicated, to: sharded)
        #expect(try Self.train(ranks: 4, output: sharded, steps + ["sharding=gradients"], resume: true).status == 0)
        try Self.expectSameState("saved replicated, resumed by np 4 gradients", sharded, "step-00000008.h5", expected)
    }

    @Test func gptjShardedStagesAreBitwiseReplicated() throws {
        let steps = ["phases.0.steps=6", "checkpoint_every=1000", "optimizer.clip_global_norm=0.3"]
        let replicated = Self.folder("gptj-zero-replicated")
        let reference = try Self.trainGPTJ(ranks: 2, output: replicated, steps)
        #expect(reference.status == 0, "\(reference.output)")
        let expected = try Self.state(replicated.appendingPathComponent("step-00000006.h5").path)
        for (stage, ranks, recompute) in [("optimizer", 2, false), ("gradients", 2, false), ("parameters", 2, true), ("optimizer", 4, false),
                                          ("gradients", 4, true), ("parameters", 4, true)] {
            let output = Self.folder("gptj-zero-\(stage)-np\(ranks)")
            let outcome = try Self.trainGPTJ(ranks: ranks, output: output, steps + ["sharding=\(stage)", "recompute=\(recompute)"])
            #expect(outcome.status == 0, "\(outcome.output)")
            try Self.expectSameState("gptj sharding \(stage) np \(ranks)\(recompute ? " with recomputation" : "")", output, "step-00000006.h5", expected)
        }
    }

    @Test func shardedRunKilledMidRunResumesBitwise() throws {
        let steps = ["phases.0.steps=40", "phases.1.steps=4", "checkpoint_every=10", "keep_checkpoints=10", "sharding=parameters"]
        let straight = Self.folder("zero-straight")
        #expect(try Self.train(ranks: 2, output: straight, steps).status == 0)
        let killed = Self.folder("zero-killed")
        var killedAt: Date?
        let outcome = try Self.train(ranks: 2, output: killed, steps) { job in
            killedAt = try Self.killOneRank(job, of: killed, once: "step-00000020.h5")
        }
        #expect(killedAt != nil && outcome.status != 0)
        #expect(!FileManager.default.fileExists(atPath: killed.appendingPathComponent("step-00000044.h5").path), "the run did not finish")
        let resumed = try Self.train(ranks: 2, output: killed, steps, resume: true)
        #expect(resumed.status == 0 && resumed.output.contains("resuming from"), "\(resumed.output)")
        try Self.expectSameState("sharded run killed with kill -9, resumed", killed, "step-00000044.h5",
                                 try Self.state(straight.appendingPathComponent("step-00000044.h5").path))
        // Every checkpoint left behind is whole: an index with exactly its own shard folder.
        let names = try FileManager.default.contentsOfDirectory(atPath: killed.path)
        for index in names where index.hasPrefix("step-") && index.hasSuffix(".h5") {
            #expect(names.filter { $0.hasPrefix(index + ".shards-") }.count == 1, "\(index): \(names.sorted())")
            #expect(throws: Never.self) { _ = try Self.state(killed.appendingPathComponent(index).path) }
        }
    }
}
