import CheckpointedModels
import Checkpointing
import Foundation
import Models
import Tensor
import Testing
import Training

/// `--resume` over damage and change: a corrupt newest checkpoint is skipped for the newest intact
/// one (bitwise the same result), and a changed recipe is named and refused unless allowed.
extension MPITrainingTests {
    static let shortRun = ["phases.0.steps=16", "phases.1.steps=4", "checkpoint_every=8", "keep_checkpoints=5"]

    @Test func corruptNewestCheckpointIsSkippedAndResumeIsBitwise() throws {
        let straight = Self.folder("straight-20")
        #expect(try Self.train(ranks: nil, output: straight, Self.shortRun).status == 0)
        let expected = try Self.state(straight.appendingPathComponent("step-00000020.h5").path)

        let damaged = Self.folder("damaged")
        try FileManager.default.copyItem(at: straight, to: damaged)
        let newest = damaged.appendingPathComponent("step-00000020.h5")
        // Flip one bit inside a parameter's stored bytes: the fletcher32 checksum catches it.
        let loaded = try ModelRegistry.load(checkpoint: newest.path)
        var data = try Data(contentsOf: newest)
        let pattern = try loaded.parameters.value("lm_head.bias").scalars.withUnsafeBytes { Data($0) }
        let found = try #require(data.range(of: pattern))
        data[found.lowerBound + 101] ^= 0x10
        try data.write(to: newest)

        let resumed = try Self.train(ranks: nil, output: damaged, Self.shortRun, resume: true)
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.output.contains("warning: skipping checkpoint \(newest.path): \(newest.path): dataset /params/lm_head.bias: reading failed"), "\(resumed.output)")
        #expect(resumed.output.contains("resuming from \(damaged.appendingPathComponent("step-00000016.h5").path) at step 16"))
        #expect(try Self.state(newest.path) == expected, "the run continued from step 16 bit for bit")
    }

    /// With every checkpoint damaged, --resume ends with an error naming each one and why; it
    /// neither starts over nor writes anything.
    @Test func everyCheckpointCorruptEndsResumeNamingThem() throws {
        let run = Self.folder("all-damaged")
        #expect(try Self.train(ranks: nil, output: run, Self.shortRun).status == 0)
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: run.path).filter { $0.hasPrefix("step-") }.sorted()
        #expect(checkpoints == ["step-00000008.h5", "step-00000016.h5", "step-00000020.h5"])
        for name in checkpoints {
            let url = run.appendingPathComponent(name)
            let data = try Data(contentsOf: url)
            try data.prefix(data.count / 3).write(to: url)
        }
        let resumed = try Self.train(ranks: nil, output: run, Self.shortRun, resume: true)
        #expect(resumed.status != 0)
        #expect(resumed.output.contains("--resume: no checkpoint in \(run.path) loads: "), "\(resumed.output)")
        for name in checkpoints {
            #expect(resumed.output.contains("warning: skipping checkpoint \(run.appendingPathComponent(name).path): \(run.appendingPathComponent(name).path): "), "\(name): \(resumed.output)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: run.path).filter { $0.hasPrefix("step-") }.sorted() == checkpoints, "nothing new was written")
    }

    @Test func recipeDriftIsNamedAndRefusedUnlessAllowed() throws {
        let run = Self.folder("drift")
        #expect(try Self.train(ranks: nil, output: run, Self.shortRun).status == 0)
        let changed = try Self.train(ranks: nil, output: run, Self.shortRun + ["phases.1.steps=6", "seed=7"], resume: true)
        #expect(changed.status != 0)
        #expect(changed.output.contains("recipe changed since \(run.appendingPathComponent("step-00000020.h5").path): phases.1.steps 4 → 6, seed 2021 → 7"), "\(changed.output)")
        #expect(changed.output.contains("resuming would change the run it continues (phases.1.steps, seed); restore those fields or pass --allow-recipe-change"))
        #expect(!changed.output.contains("MPI_ABORT"), "a plain process prints only its error")

        let bookkeeping = try Self.train(ranks: nil, output: run, Self.shortRun + ["keep_checkpoints=2"], resume: true)
        #expect(bookkeeping.status == 0, "\(bookkeeping.output)")
        #expect(bookkeeping.output.contains("keep_checkpoints 5 → 2"))

        let allowed = try Self.train(ranks: nil, output: run, Self.shortRun + ["phases.1.steps=6"], resume: true, flags: ["--allow-recipe-change"])
        #expect(allowed.status == 0, "\(allowed.output)")
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("step-00000022.h5").path))
    }
}
