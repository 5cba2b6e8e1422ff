import Foundation
import Testing
import Training

/// Faults a cluster meets: a stop signal (SLURM's preemption or time limit) and a rank killed while
/// Open MPI is still starting the job.
extension MPITrainingTests {
    static let launcher = root.appendingPathComponent("Scripts/launch.sh").path

    /// `Scripts/launch.sh 2 train …` with `environment` added.
    static func launch(output: URL, _ overrides: [String], ranks: Int = 2, resume: Bool = false, environment: [String: String] = [:]) throws -> (Process, Pipe) {
        let process = Process()
        // env --default-signal: the test runner may ignore SIGTERM, and a shell cannot trap a signal
        // ignored when it starts.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let arguments = ["--default-signal", "bash", launcher, String(ranks)]
            + trainArguments(recipe: "Recipes/tiny-smoke.yaml", output: output, tinyRows + overrides, resume: resume)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["BERTIN_THREADS"] = "1"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        return (process, pipe)
    }

    /// Waits for `process` up to `seconds`; false if it is still running.
    static func wait(_ process: Process, seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        return !process.isRunning
    }

    @Test func sigtermStopsAfterTheStepWithACheckpointAndResumeIsBitwise() throws {
        let steps = ["phases.0.steps=120", "phases.1.steps=4", "checkpoint_every=1000"]
        let straight = Self.folder("straight-124")
        #expect(try Self.train(ranks: 2, output: straight, steps).status == 0)
        let expected = try Self.state(straight.appendingPathComponent("step-00000124.h5").path)

        let stopped = Self.folder("sigterm")
        let (process, pipe) = try Self.launch(output: stopped, steps)
        // Wait until training runs (the first metrics line), then SIGTERM the launcher, as SLURM would.
        let metrics = stopped.appendingPathComponent("metrics.jsonl").path
        while process.isRunning, ((try? String(contentsOfFile: metrics, encoding: .utf8)) ?? "").split(separator: "\n").count < 10 { usleep(20_000) }
        let signalled = Date()
        kill(process.processIdentifier, SIGTERM)
        #expect(Self.wait(process, seconds: 30), "the job ends within 30 s of SIGTERM")
        let seconds = Date().timeIntervalSince(signalled)
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        print("SIGTERM to the launcher: exit \(process.terminationStatus) after \(String(format: "%.1f", seconds)) s")
        #expect(process.terminationStatus == 75, "\(output)")
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("stopping on SIGUSR1 after step ") }, "\(output)")
        let step = Int(line.dropFirst("stopping on SIGUSR1 after step ".count).prefix { $0.isNumber })!
        #expect(step > 0 && step < 124)
        #expect(FileManager.default.fileExists(atPath: stopped.appendingPathComponent(String(format: "step-%08d.h5", step)).path))

        let resumed = try Self.train(ranks: 2, output: stopped, steps, resume: true)
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(try Self.state(stopped.appendingPathComponent("step-00000124.h5").path) == expected, "resumed bit for bit")
    }

    /// A rank killed 50–110 ms after the launcher starts (Open MPI still starting the job) must end
    /// the job: with BERTIN_TIMEOUT=5 the other rank gives up on MPI start-up or its first collective.
    /// (Scripts/reliability/early-kill-loop.sh runs the 60-kill version with BERTIN_TIMEOUT=15.)
    @Test func rankKilledDuringStartUpNeverHangsTheJob() throws {
        var slowest = 0.0
        for run in 0..<12 {
            let output = Self.folder("early-kill-\(run)")
            let (process, _) = try Self.launch(output: output, ["phases.0.steps=40", "phases.1.steps=4"], environment: ["BERTIN_TIMEOUT": "5"])
            let started = Date()
            usleep(useconds_t(50_000 + (run * 5_000) % 61_000))
            let victims = Self.pids(named: "bertin", writing: output)
            if let victim = victims.randomElement() { kill(victim, SIGKILL) }
            let ended = Self.wait(process, seconds: 40)
            slowest = max(slowest, Date().timeIntervalSince(started))
            if !ended { Self.killJobs(process, writing: output) }
            #expect(ended, "run \(run): the job still ran 40 s after a rank was killed during start-up")
            for pid in Self.pids(named: "bertin", writing: output) { kill(pid, SIGKILL) }
            usleep(200_000)
        }
        print("rank killed during start-up: 12 of 12 jobs ended, slowest after \(String(format: "%.1f", slowest)) s")
    }

    /// A rank frozen with SIGSTOP (a hung node, a dead link: it never answers) leaves the other
    /// waiting in a collective; the watchdog ends the job and names what it waited for. Frozen as
    /// soon as it appears, the other rank waits in MPI start-up instead.
    @Test(arguments: ["mid-run", "start-up"])
    func frozenRankEndsTheJobWithinTheTimeout(when: String) throws {
        let folder = Self.folder("frozen-\(when)")
        let (process, pipe) = try Self.launch(output: folder, ["phases.0.steps=400", "phases.1.steps=4"], environment: ["BERTIN_TIMEOUT": "5"])
        var victims: [pid_t] = []
        while process.isRunning && victims.count < 2 { victims = Self.pids(named: "bertin", writing: folder); usleep(2_000) }
        if when == "mid-run" { usleep(3_000_000) }  // training runs by then (the job starts in about a second)
        let frozenAt = Date()
        if let victim = victims.last { kill(victim, SIGSTOP) }
        let ended = Self.wait(process, seconds: 40)
        let seconds = Date().timeIntervalSince(frozenAt)
        if !ended { Self.killJobs(process, writing: folder) }
        for pid in victims { kill(pid, SIGKILL) }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        print("rank frozen \(when): job ended after \(String(format: "%.1f", seconds)) s with \(ended ? process.terminationStatus : -1)")
        #expect(ended && process.terminationStatus != 0, "\(output)")
        #expect(seconds < 20, "ended after \(seconds) s with BERTIN_TIMEOUT=5")
        let expected = when == "mid-run" ? "timed out after 5 s waiting for " : "timed out after 5 s waiting for MPI start-up"
        #expect(output.contains(expected), "\(output)")
    }

    /// Ends a hung launcher and everything it started for the job writing to `output`.
    static func killJobs(_ launcher: Process, writing output: URL) {
        kill(launcher.processIdentifier, SIGKILL)
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
