import CheckpointedModels
import Checkpointing
import Corpus
import Models
import Foundation
import Optimization
import Tensor
import Testing
import TestSupport
import Tokenization
import Training

/// `bertin train` under mpirun: layouts, a killed rank, NaN. Needs `.build/release/bertin`
/// (Scripts/test.sh builds it) and Open MPI's `mpirun`.
@Suite(.serialized) struct MPITrainingTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let bertin = root.appendingPathComponent(".build/release/bertin").path

    /// Rows of 128 and 512 from the sample corpus with the committed 8000-token tokenizer, prepared once.
    static let data: URL = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertin-mpi-\(UUID().uuidString)")
        let tokenizer = try! BPETokenizer(directory: root.appendingPathComponent("Tests/CorpusTests/Fixtures/tokenizer").path)
        let corpus = root.appendingPathComponent("Recipes/sample-corpus")
        let train = ["c4-es.tfrecord-00000-of-00002.json.gz", "c4-es.tfrecord-00001-of-00002.json.gz"].map { corpus.appendingPathComponent($0).path }
        let validation = corpus.appendingPathComponent("c4-es-validation.tfrecord-00000-of-00001.json.gz").path
        for length in [128, 512] {
            _ = try! RowPreparation(tokenizer: tokenizer, sequenceLength: length)
                .run(files: train, evalFiles: [validation], outputDirectory: folder.appendingPathComponent("rows\(length)").path)
        }
        return folder
    }()

    /// Causal rows of 128 (documents joined by the end-of-text token) for the tiny GPT-J recipe.
    static let causalData: URL = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertin-mpi-causal-\(UUID().uuidString)")
        let tokenizer = try! BPETokenizer(directory: root.appendingPathComponent("Tests/CorpusTests/Fixtures/tokenizer").path)
        let corpus = root.appendingPathComponent("Recipes/sample-corpus")
        let train = ["c4-es.tfrecord-00000-of-00002.json.gz", "c4-es.tfrecord-00001-of-00002.json.gz"].map { corpus.appendingPathComponent($0).path }
        var preparation = RowPreparation(tokenizer: tokenizer, sequenceLength: 128)
        preparation.framing = .causalLM
        _ = try! preparation.run(files: train, evalFiles: [corpus.appendingPathComponent("c4-es-validation.tfrecord-00000-of-00001.json.gz").path],
                                 outputDirectory: folder.appendingPathComponent("rows128").path)
        return folder
    }()

    /// `bertin train` on the tiny GPT-J recipe (see `train`).
    static func trainGPTJ(ranks: Int?, output: URL, _ overrides: [String] = [], resume: Bool = false, background: ((ChildProcess) throws -> Void)? = nil) throws -> Outcome {
        try train(ranks: ranks, output: output, recipe: "Recipes/tiny-gptj-smoke.yaml",
                  rows: ["phases.0.rows=\(causalData.appendingPathComponent("rows128").path)", "phases.0.warmup_steps=4"] + overrides,
                  resume: resume, flags: [], background: background)
    }

    struct Outcome {
        let status: Int32
        let output: String
        let seconds: Double
    }

    /// Runs `bertin train` on the tiny recipe: under `mpirun -np ranks`, or as a plain process when nil.
    static func train(ranks: Int?, output: URL, _ overrides: [String] = [], resume: Bool = false, flags: [String] = [],
                      background: ((ChildProcess) throws -> Void)? = nil) throws -> Outcome {
        try train(ranks: ranks, output: output, recipe: "Recipes/tiny-smoke.yaml", rows: tinyRows + overrides,
                  resume: resume, flags: flags, background: background)
    }

    /// The tiny recipe's rows (prepared once) and warmups short enough for these runs.
    static var tinyRows: [String] {
        ["phases.0.rows=\(data.appendingPathComponent("rows128").path)", "phases.1.rows=\(data.appendingPathComponent("rows512").path)",
         "phases.0.warmup_steps=4", "phases.1.warmup_steps=1"]
    }

    static func train(ranks: Int?, output: URL, recipe: String, rows: [String], resume: Bool, flags: [String],
                      background: ((ChildProcess) throws -> Void)?) throws -> Outcome {
        try runBertin(ranks: ranks, trainArguments(recipe: recipe, output: output, rows, resume: resume) + flags, background: background)
    }

    /// `bertin train` arguments: `recipe` writing to `output`, quiet logging, `overrides` as `--set`.
    static func trainArguments(recipe: String, output: URL, _ overrides: [String], resume: Bool) -> [String] {
        ["train", "--recipe", root.appendingPathComponent(recipe).path, "--set", "output=\(output.path)",
         "--set", "log_every=1000", "--set", "eval_every=1000"] + overrides.flatMap { ["--set", $0] } + (resume ? ["--resume"] : [])
    }

    /// Runs `bertin arguments`: under `mpirun -np ranks`, or as a plain process when nil; `unset`
    /// names variables of this process's environment it does not pass on. `background` gets the
    /// running child (to wait for its metrics and kill it, each wait with a deadline). A run past
    /// `seconds` is killed with its ranks and fails the test by name instead of hanging the suite.
    static func runBertin(ranks: Int?, _ arguments: [String], mpirunOptions: [String] = [], environment extra: [String: String] = [:],
                          removing unset: [String] = [], seconds: Double = 480,
                          background: ((ChildProcess) throws -> Void)? = nil) throws -> Outcome {
        #expect(FileManager.default.isExecutableFile(atPath: bertin), "build bertin first: swift build -c release --product bertin")
        var environment = ChildProcess.bertinEnvironment
        for key in unset { environment[key] = nil }
        for (key, value) in extra { environment[key] = value }
        let (executable, command) = ranks.map { ("/usr/bin/env", ["mpirun"] + mpirunOptions + ["-np", String($0), bertin] + arguments) } ?? (bertin, arguments)
        let child = try ChildProcess(executable, command, environment: environment)
        do { try background?(child) } catch { child.killTree(); throw error }
        let (status, output) = try child.finish(seconds: seconds)
        return Outcome(status: status, output: output, seconds: Date().timeIntervalSince(child.started))
    }

    static func folder(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("bertin-run-\(name)-\(UUID().uuidString)")
    }

    /// Parameters, moments and update count of a checkpoint as bits.
    static func state(_ path: String) throws -> [UInt32] { try ModelRegistry.trainingStateBits(checkpoint: path).bits }

    @Test func everyLayoutComputesTheSameParameters() throws {
        let steps = ["phases.0.steps=16", "phases.1.steps=4", "checkpoint_every=1000"]
        let plain = Self.folder("plain")
        let reference = try Self.train(ranks: nil, output: plain, steps)
        #expect(reference.status == 0, "\(reference.output)")
        let expected = try Self.state(plain.appendingPathComponent("step-00000020.h5").path)
        try Self.expectLayoutsAgree("layout", rankCounts: [1, 2, 4, 8], checkpoint: "step-00000020.h5", expected: expected) {
            try Self.train(ranks: $0, output: $1, steps)
        }
    }

    /// At two compute threads per rank, where OpenBLAS threads the tiny model's products (256·128·64
    /// is above its 262,144 threshold): the plain 8-device process and 2 ranks give the same bits,
    /// as each device's products have the same shapes at the same thread count. Against one thread
    /// the count of differing values is printed: zero on OpenBLAS's SkylakeX kernels, not on its
    /// Haswell or Zen ones (README, "Threads").
    @Test func layoutsAgreeAtTwoThreadsPerRank() throws {
        let steps = ["phases.0.steps=8", "phases.1.steps=2", "checkpoint_every=1000"]
        func train(_ ranks: Int?, threads: Int) throws -> [UInt32] {
            let output = Self.folder("threads\(threads)-np\(ranks ?? 0)")
            let outcome = try Self.runBertin(ranks: ranks, Self.trainArguments(recipe: "Recipes/tiny-smoke.yaml", output: output, Self.tinyRows + steps, resume: false),
                                             environment: ["BERTIN_THREADS": String(threads)])
            #expect(outcome.status == 0, "\(outcome.output)")
            return try Self.state(output.appendingPathComponent("step-00000010.h5").path)
        }
        let plain = try train(nil, threads: 2), ranked = try train(2, threads: 2), oneThread = try train(nil, threads: 1)
        #expect(differingElements(ranked, plain) == 0, "np 2 at 2 threads per rank differs from the plain process at 2 threads")
        print("2 threads vs 1 thread: \(differingElements(plain, oneThread)) of \(plain.count) values differ (OpenBLAS core dependent)")
    }

    /// Trains under `mpirun -np n` for each of `rankCounts` and compares the checkpoint's parameters
    /// and moments bit for bit with `expected` (the plain 8-device process's).
    static func expectLayoutsAgree(_ label: String, rankCounts: [Int], checkpoint: String, expected: [UInt32],
                                   train: (Int, URL) throws -> Outcome) throws {
        for ranks in rankCounts {
            let output = folder("\(label)-np\(ranks)".replacingOccurrences(of: " ", with: "-"))
            let outcome = try train(ranks, output)
            #expect(outcome.status == 0, "np \(ranks): \(outcome.output)")
            let state = try Self.state(output.appendingPathComponent(checkpoint).path)
            let differing = differingElements(state, expected)
            print("\(label) np \(ranks): \(differing) of \(expected.count) parameter and moment values differ from the 8-device plain process (\(String(format: "%.1f", outcome.seconds)) s)")
            #expect(differing == 0, "\(label) np \(ranks) differs from the plain 8-device process")
        }
    }

    @Test func killedRankEndsTheJobAndResumingIsBitwise() throws {
        let steps = ["phases.0.steps=40", "phases.1.steps=4", "checkpoint_every=10", "keep_checkpoints=10"]
        let straight = Self.folder("straight")
        #expect(try Self.train(ranks: 2, output: straight, steps).status == 0)

        let killed = Self.folder("killed")
        var killedAt: Date?
        let outcome = try Self.train(ranks: 2, output: killed, steps) { job in
            killedAt = try Self.killOneRank(job, of: killed, once: "step-00000020.h5")
        }
        let exitSeconds = killedAt.map { Date().timeIntervalSince($0) } ?? .infinity
        print("kill -9 of one rank: mpirun exited with \(outcome.status) after \(String(format: "%.1f", exitSeconds)) s")
        #expect(killedAt != nil, "a rank was found and killed")
        #expect(outcome.status != 0)
        #expect(exitSeconds < 30)
        #expect(!FileManager.default.fileExists(atPath: killed.appendingPathComponent("step-00000044.h5").path), "the run did not finish")

        let resumed = try Self.train(ranks: 2, output: killed, steps, resume: true)
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.output.contains("resuming from"))
        #expect(try Self.state(killed.appendingPathComponent("step-00000044.h5").path) == (try Self.state(straight.appendingPathComponent("step-00000044.h5").path)))
        let (a, b) = (try Self.losses(straight), try Self.losses(killed))
        #expect(a.count == 44 && b == a, "the resumed run's losses are the uninterrupted run's")

        // Resumed on another layout (8 devices in one process): the same bits, at one thread per rank.
        let other = Self.folder("other-layout")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: straight.appendingPathComponent("step-00000020.h5"), to: other.appendingPathComponent("step-00000020.h5"))
        #expect(try Self.train(ranks: nil, output: other, steps, resume: true).status == 0)
        #expect(try Self.state(other.appendingPathComponent("step-00000044.h5").path) == (try Self.state(straight.appendingPathComponent("step-00000044.h5").path)))
    }

    /// The second family on the same trainer: GPT-J's layouts agree bitwise with the plain 8-device
    /// process, and a run killed by kill -9 resumes to the uninterrupted run's bits.
    @Test func gptjLayoutsAgreeAndResumeIsBitwise() throws {
        let steps = ["phases.0.steps=24", "checkpoint_every=8", "keep_checkpoints=10"]
        let plain = Self.folder("gptj-plain")
        let reference = try Self.trainGPTJ(ranks: nil, output: plain, steps)
        #expect(reference.status == 0, "\(reference.output)")
        #expect(reference.output.contains("gptj"), "\(reference.output)")
        let expected = try Self.state(plain.appendingPathComponent("step-00000024.h5").path)
        try Self.expectLayoutsAgree("gptj layout", rankCounts: [2, 4, 8], checkpoint: "step-00000024.h5", expected: expected) {
            try Self.trainGPTJ(ranks: $0, output: $1, steps)
        }
        let losses = try Self.losses(plain)
        #expect(losses[24]! < losses[1]!, "the loss falls: \(losses[1]!) -> \(losses[24]!)")

        let killed = Self.folder("gptj-killed")
        var killedAt: Date?
        let outcome = try Self.trainGPTJ(ranks: 2, output: killed, steps) { job in
            killedAt = try Self.killOneRank(job, of: killed, once: "step-00000008.h5")
        }
        #expect(killedAt != nil && outcome.status != 0)
        let resumed = try Self.trainGPTJ(ranks: 2, output: killed, steps, resume: true)
        #expect(resumed.status == 0 && resumed.output.contains("resuming from"), "\(resumed.output)")
        #expect(try Self.state(killed.appendingPathComponent("step-00000024.h5").path) == expected)
    }

    /// A learning rate of 1e9 makes the loss or the gradient NaN within a few steps: the run stops
    /// naming the step, and the newest checkpoint left is from before that update and wholly finite.
    @Test func nanLossStopsTheRunAndKeepsTheLastCheckpoint() throws {
        let output = Self.folder("nan")
        let outcome = try Self.train(ranks: 2, output: output, ["phases.0.learning_rate=1.0e9", "checkpoint_every=2"])
        #expect(outcome.status != 0)
        let line = try #require(outcome.output.split(separator: "\n").first { $0.contains("the loss is") || $0.contains("global norm is") }, "\(outcome.output)")
        let failing = try #require(line.firstMatch(of: #/step (\d+):/#).flatMap { Int($0.1) }, "the error names its step: \(line)")
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: output.path).filter { $0.hasPrefix("step-") && $0.hasSuffix(".h5") }.sorted()
        let newest = try #require(checkpoints.last, "a checkpoint was kept: \(outcome.output)")
        let (bits, contents) = try ModelRegistry.trainingStateBits(checkpoint: output.appendingPathComponent(newest).path)
        print("NaN run: stopped at step \(failing), newest checkpoint \(newest) (step \(contents.progress.step))")
        // "step k" is the update that failed, after k good ones: a checkpoint of step k holds those.
        #expect(contents.progress.step <= failing, "\(newest) is from before the failing update \(failing)")
        let values = bits.dropLast().map { Float(bitPattern: $0) }  // the last entry is the update count
        let nonFinite = values.filter { !$0.isFinite }.count
        #expect(nonFinite == 0, "\(nonFinite) parameter or moment values of \(newest) are not finite")
    }

    /// Waits (up to a minute) for `checkpoint` to appear in the run folder, then SIGKILLs one rank
    /// (not mpirun); returns when, or nil if no rank was found.
    static func killOneRank(_ job: ChildProcess, of run: URL, once checkpoint: String) throws -> Date? {
        try job.waitUntil("checkpoint \(checkpoint)", seconds: 120) { FileManager.default.fileExists(atPath: run.appendingPathComponent(checkpoint).path) }
        guard let victim = rankProcesses(matching: run.path).first else { return nil }
        kill(victim, SIGKILL)
        return Date()
    }

    /// PIDs of `bertin` processes whose command line mentions `text` (the ranks, not mpirun).
    static func rankProcesses(matching text: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let command = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8), command.hasPrefix("bertin"),
                  let line = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: line, as: UTF8.self).contains(text)
        }
    }

    /// The loss logged for each step (the last line wins when a resumed run logged a step again).
    static func losses(_ folder: URL) throws -> [Int: Double] {
        var result: [Int: Double] = [:]
        let text = try String(contentsOf: folder.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        for line in text.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            if let step = object["step"] as? Int, let loss = object["loss"] as? Double { result[step] = loss }
        }
        return result
    }
}
