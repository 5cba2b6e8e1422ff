import Foundation
import Testing
import TestSupport
import Training

/// Faults a cluster meets: a stop signal (SLURM's preemption or time limit) and a rank killed while
/// Open MPI is still starting the job.
extension MPITrainingTests {
    static let launcher = root.appendingPathComponent("Scripts/launch.sh").path

    /// `Scripts/launch.sh 2 train …` with `environment` added, its output drained while it runs.
    static func launch(output: URL, _ overrides: [String], ranks: Int = 2, resume: Bool = false, environment: [String: String] = [:]) throws -> ChildProcess {
        // env --default-signal: the test runner may ignore SIGTERM, and a shell cannot trap a signal
        // ignored when it starts.
        let arguments = ["--default-signal", "bash", launcher, String(ranks)]
            + trainArguments(recipe: "Recipes/tiny-smoke.yaml", output: output, tinyRows + overrides, resume: resume)
        var env = ProcessInfo.processInfo.environment
        env["BERTIN_THREADS"] = "1"
        for (key, value) in environment { env[key] = value }
        return try ChildProcess("/usr/bin/env", arguments, environment: env)
    }

    /// Lines of a run's metrics.jsonl so far (0 while it does not exist).
    static func metricsLines(_ output: URL) -> Int {
        ((try? String(contentsOfFile: output.appendingPathComponent("metrics.jsonl").path, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    @Test func sigtermStopsAfterTheStepWithACheckpointAndResumeIsBitwise() throws {
        let steps = ["phases.0.steps=120", "phases.1.steps=4", "checkpoint_every=1000"]
        let straight = Self.folder("straight-124")
        #expect(try Self.train(ranks: 2, output: straight, steps).status == 0)
        let expected = try Self.state(straight.appendingPathComponent("step-00000124.h5").path)

        let stopped = Self.folder("sigterm")
        let job = try Self.launch(output: stopped, steps)
        // Wait until training runs (ten metrics lines), then SIGTERM the launcher, as SLURM would.
        try job.waitUntil("ten metrics lines", seconds: 120) { Self.metricsLines(stopped) >= 10 }
        let signalled = Date()
        kill(job.process.processIdentifier, SIGTERM)
        #expect(job.wait(seconds: 30), "the job ends within 30 s of SIGTERM")
        let seconds = Date().timeIntervalSince(signalled)
        let (status, output) = try job.finish(seconds: 1)
        print("SIGTERM to the launcher: exit \(status) after \(String(format: "%.1f", seconds)) s")
        #expect(status == 75, "\(output)")
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("stopping on SIGUSR1 after step ") }, "\(output)")
        let step = Int(line.dropFirst("stopping on SIGUSR1 after step ".count).prefix { $0.isNumber })!
        #expect(step > 0 && step < 124)
        #expect(FileManager.default.fileExists(atPath: stopped.appendingPathComponent(String(format: "step-%08d.h5", step)).path))

        let resumed = try Self.train(ranks: 2, output: stopped, steps, resume: true)
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(try Self.state(stopped.appendingPathComponent("step-00000124.h5").path) == expected, "resumed bit for bit")
    }

    /// A rank killed while Open MPI is still starting the job (0–60 ms after the first rank
    /// process appears) must end the job: with BERTIN_TIMEOUT=5 the other rank gives up on MPI
    /// start-up or its first collective. Every run must find a rank to kill and must fail.
    /// (Scripts/reliability/early-kill-loop.sh runs the 60-kill version with BERTIN_TIMEOUT=15.)
    @Test func rankKilledDuringStartUpNeverHangsTheJob() throws {
        var slowest = 0.0, kills = 0
        for run in 0..<12 {
            let output = Self.folder("early-kill-\(run)")
            let job = try Self.launch(output: output, ["phases.0.steps=40", "phases.1.steps=4"], environment: ["BERTIN_TIMEOUT": "5"])
            var victims: [pid_t] = []
            try job.waitUntil("a rank process", seconds: 30, polling: 0.002) { victims = Self.pids(named: "bertin", writing: output); return !victims.isEmpty }
            usleep(useconds_t((run * 5_000) % 61_000))
            let victim = victims[run % victims.count]
            let killed = kill(victim, SIGKILL) == 0
            if killed { kills += 1 }
            let killedAt = Date()
            let ended = job.wait(seconds: 40)
            slowest = max(slowest, Date().timeIntervalSince(killedAt))
            if !ended { Self.killJobs(job, writing: output) }
            let (status, text) = try job.finish(seconds: 5)
            #expect(killed, "run \(run): rank \(victim) was gone before the kill")
            #expect(ended, "run \(run): the job still ran 40 s after a rank was killed during start-up")
            #expect(status != 0, "run \(run): the job exited 0 though a rank was killed: \(text.suffix(2000))")
            for pid in Self.pids(named: "bertin", writing: output) { kill(pid, SIGKILL) }
        }
        print("rank killed during start-up: \(kills) of 12 runs killed a rank; every job failed, the slowest \(String(format: "%.1f", slowest)) s after the kill")
        #expect(kills == 12)
    }

    /// SIGKILL while a checkpoint is being written (its hidden temporary exists): the checkpoints
    /// already there all load, none is half-written under its name, and the resumed run removes the
    /// temporary, names it, and ends with the uninterrupted run's bits.
    @Test func killInsideACheckpointWriteKeepsThePreviousWhole() throws {
        let steps = ["phases.0.steps=40", "phases.1.steps=4", "checkpoint_every=2", "keep_checkpoints=50"]
        let straight = Self.folder("write-straight")
        #expect(try Self.train(ranks: nil, output: straight, steps).status == 0)
        let run = Self.folder("write-killed")
        func temporaries() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: run.path)) ?? []).filter { $0.hasPrefix(".step-") && $0.contains(".partial-") }
        }
        var caught: [String] = []
        let killed = try Self.train(ranks: nil, output: run, steps) { job in
            try job.waitUntil("a checkpoint's temporary file", seconds: 120, polling: 0.0005) { caught = temporaries(); return !caught.isEmpty }
            kill(job.process.processIdentifier, SIGKILL)
        }
        #expect(killed.status != 0)
        print("killed inside the write of \(caught)")
        let left = try FileManager.default.contentsOfDirectory(atPath: run.path).filter { $0.hasPrefix("step-") }.sorted()
        for name in left { #expect(throws: Never.self, "\(name) loads whole") { _ = try Self.state(run.appendingPathComponent(name).path) } }
        #expect(!left.contains(String(caught.first?.dropFirst().split(separator: ".").first ?? "") + ".h5"), "the checkpoint being written is not there: \(left)")

        let resumed = try Self.train(ranks: nil, output: run, steps, resume: true)
        #expect(resumed.status == 0, "\(resumed.output)")
        for name in caught { #expect(resumed.output.contains("removed \(run.appendingPathComponent(name).path), left by a checkpoint write that was interrupted"), "\(resumed.output)") }
        #expect(temporaries().isEmpty)
        #expect(try Self.state(run.appendingPathComponent("step-00000044.h5").path) == (try Self.state(straight.appendingPathComponent("step-00000044.h5").path)))
    }

    /// A rank frozen with SIGSTOP (a hung node, a dead link: it never answers) leaves the other
    /// waiting in a collective; the watchdog ends the job and names what it waited for. Frozen as
    /// soon as it appears, the other rank waits in MPI start-up instead.
    @Test(arguments: ["mid-run", "start-up"])
    func frozenRankEndsTheJobWithinTheTimeout(when: String) throws {
        let folder = Self.folder("frozen-\(when)")
        let job = try Self.launch(output: folder, ["phases.0.steps=400", "phases.1.steps=4"], environment: ["BERTIN_TIMEOUT": "5"])
        var victims: [pid_t] = []
        try job.waitUntil("two rank processes", seconds: 30, polling: 0.002) { victims = Self.pids(named: "bertin", writing: folder); return victims.count >= 2 }
        // Mid-run: training runs once metrics are written.
        if when == "mid-run" { try job.waitUntil("a metrics line", seconds: 60) { Self.metricsLines(folder) >= 1 } }
        let frozenAt = Date()
        #expect(kill(victims.last!, SIGSTOP) == 0, "rank \(victims.last!) frozen")
        let ended = job.wait(seconds: 40)
        let seconds = Date().timeIntervalSince(frozenAt)
        if !ended { Self.killJobs(job, writing: folder) }
        for pid in victims { kill(pid, SIGKILL) }
        let (status, output) = try job.finish(seconds: 5)
        print("rank frozen \(when): job ended after \(String(format: "%.1f", seconds)) s with \(ended ? status : -1)")
        #expect(ended && status != 0, "\(output)")
        #expect(seconds < 20, "ended after \(seconds) s with BERTIN_TIMEOUT=5")
        let expected = when == "mid-run" ? "timed out after 5 s waiting for " : "timed out after 5 s waiting for MPI start-up"
        #expect(output.contains(expected), "\(output)")
    }

    /// Ends a hung launcher and everything it started for the job writing to `output`.
    static func killJobs(_ launcher: ChildProcess, writing output: URL) {
        launcher.killTree()
        for pid in pids(named: "bertin", writing: output) + pids(named: "mpirun", writing: output) { kill(pid, SIGKILL) }
    }

    /// Processes whose executable name is `name` and whose command line names `output` (from
    /// /proc): one job's processes only, not the `bertin` runs other suites make at the same time.
    /// Without `output`, every process of that name.
    static func pids(named name: String, writing output: URL? = nil) -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = pid_t(entry), let comm = try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8),
                  comm.trimmingCharacters(in: .whitespacesAndNewlines) == name,
                  let commandLine = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                  output.map({ String(decoding: commandLine, as: UTF8.self).contains($0.path) }) ?? true else { return nil }
            return pid
        }
    }
}
