import Foundation

/// A deadline on every wait for other ranks. MPI has no timeouts: a rank whose peer died during
/// start-up, or whose link went down mid-collective, waits forever, and so does mpirun. Each wait
/// is armed here with what it waits for; a thread of its own ends the process if the wait
/// outlives its deadline, printing what it waited for, so mpirun sees a rank exit and ends the job.
///
/// Timeouts (seconds): `BERTIN_TIMEOUT` or `bertin train --timeout` sets both. Defaults: 300 for
/// start-up (a big allocation starts hundreds of ranks through a batch system) and 1800 for a
/// collective (other ranks wait at the next collective while rank 0 evaluates or writes a
/// checkpoint, which for a 6B model on a network filesystem takes minutes).
public final class Watchdog: @unchecked Sendable {
    public static let shared = Watchdog()

    /// The exit code of a rank that timed out (as coreutils' `timeout`).
    public static let exitCode: Int32 = 124

    public var startupTimeout: Double
    public var collectiveTimeout: Double
    /// What the run is doing ("step 12"), added to messages.
    public var context: String {
        get { condition.lock(); defer { condition.unlock() }; return currentContext }
        set { condition.lock(); currentContext = newValue; condition.unlock() }
    }
    private var currentContext = ""

    private let condition = NSCondition()
    private var armed: (what: String, seconds: Double, deadline: Date, generation: Int)?
    private var generation = 0
    private var started = false

    private init() {
        let configured = ProcessInfo.processInfo.environment["BERTIN_TIMEOUT"].flatMap(Double.init)
        startupTimeout = configured ?? 300
        collectiveTimeout = configured ?? 1800
    }

    /// Sets both timeouts (from `--timeout`).
    public func configure(timeout seconds: Double) {
        (startupTimeout, collectiveTimeout) = (seconds, seconds)
    }

    /// Runs `body` (a blocking wait on other ranks) under a deadline of `seconds` (the collective
    /// timeout by default).
    public func guarding<Result>(_ what: @autoclosure () -> String, seconds: Double? = nil, _ body: () throws -> Result) rethrows -> Result {
        let token = arm(what(), seconds: seconds ?? collectiveTimeout)
        defer { disarm(token) }
        return try body()
    }

    private func arm(_ what: String, seconds: Double) -> Int {
        condition.lock()
        defer { condition.unlock() }
        if !started {
            started = true
            let thread = Thread { [unowned self] in self.watch() }
            thread.name = "bertin-watchdog"
            thread.start()
        }
        generation += 1
        armed = (what, seconds, Date(timeIntervalSinceNow: seconds), generation)
        condition.signal()
        return generation
    }

    private func disarm(_ token: Int) {
        condition.lock()
        if armed?.generation == token { armed = nil }
        condition.unlock()
    }

    private func watch() {
        condition.lock()
        while true {
            guard let current = armed else { condition.wait(); continue }
            if Date() < current.deadline {
                _ = condition.wait(until: current.deadline)
                continue
            }
            let rank = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_RANK"] ?? ProcessInfo.processInfo.environment["PMIX_RANK"] ?? "0"
            let message = "error (rank \(rank)): timed out after \(Int(current.seconds)) s waiting for \(current.what)\(currentContext.isEmpty ? "" : " at \(currentContext)"); another rank or the network is gone "
                + "(timeout from BERTIN_TIMEOUT or --timeout). Ending this rank so the job ends.\n"
            FileHandle.standardError.write(Data(message.utf8))
            // No MPI call: MPI_Abort could itself wait on the missing peer. mpirun sees the exit.
            _exit(Self.exitCode)
        }
    }
}
