import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process of a test that cannot hang the suite: its stdout and stderr (together) are
/// drained while it runs, every wait has a deadline, and a child that outlives its deadline is
/// killed with all its descendants (mpirun's ranks, launch.sh's mpirun) and reported by name.
public final class ChildProcess: @unchecked Sendable {
    public let process: Process
    public let command: String
    public let started = Date()
    private let lock = NSLock()
    private var collected = Data()
    private let drained = DispatchSemaphore(value: 0)

    public struct Timeout: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ executable: String, _ arguments: [String], environment: [String: String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        command = ([executable] + arguments).joined(separator: " ")
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        // A full pipe would stall the child: read on a thread of its own until every writer is
        // gone. Plain read(2), retried on EINTR: FileHandle.availableData traps when a signal (a
        // child's SIGCHLD) interrupts it.
        let descriptor = pipe.fileHandleForReading.fileDescriptor
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                lock.lock(); collected.append(contentsOf: buffer[0..<count]); lock.unlock()
            }
            drained.signal()
        }.start()
    }

    /// Everything the child wrote so far.
    public var output: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: collected, as: UTF8.self)
    }

    public var isRunning: Bool { process.isRunning }

    /// Waits up to `seconds` for the child to exit; false if it still runs.
    public func wait(seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return !process.isRunning
    }

    /// Polls `condition` until it holds. Throws (after killing the child) when `seconds` pass first,
    /// and throws at once when the child exits first: nothing then could make it true.
    public func waitUntil(_ what: String, seconds: Double, polling interval: Double = 0.02, _ condition: () -> Bool) throws {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while !condition() {
            if !process.isRunning {
                if condition() { return }
                throw Timeout(description: "the child ended (status \(process.terminationStatus)) before \(what): \(command)\n\(output.suffix(3000))")
            }
            if Date() >= deadline {
                killTree()
                throw Timeout(description: "no \(what) after \(Int(seconds)) s; killed \(command)\n\(output.suffix(3000))")
            }
            usleep(useconds_t(interval * 1e6))
        }
    }

    /// Waits for the exit and for the rest of the output; past `seconds` kills the child and its
    /// descendants and throws, naming the command and what it last wrote.
    public func finish(seconds: Double) throws -> (status: Int32, output: String) {
        guard wait(seconds: seconds) else {
            killTree()
            throw Timeout(description: "still running after \(Int(seconds)) s; killed \(command)\n\(output.suffix(3000))")
        }
        // A descendant left behind may hold the pipe open: give it a moment, then end it.
        if drained.wait(timeout: .now() + 10) == .timedOut {
            Self.killDescendants(of: process.processIdentifier)
            _ = drained.wait(timeout: .now() + 5)
        }
        return (process.terminationStatus, output)
    }

    /// This process's environment for a `bertin` child: one compute thread (OpenBLAS's threaded
    /// sgemm rounds differently on some cores, which is not what most tests compare), and Open MPI
    /// allowed to run as root and to oversubscribe the cores.
    public static var bertinEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["BERTIN_THREADS"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        environment["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
        return environment
    }

    /// SIGKILL to the child and every process below it.
    public func killTree() {
        let pid = process.processIdentifier
        Self.killDescendants(of: pid)
        if process.isRunning { kill(pid, SIGKILL) }
        _ = wait(seconds: 5)
    }

    /// SIGKILL to every live descendant of `pid` (read from /proc), deepest first found last.
    public static func killDescendants(of pid: pid_t) {
        var parents: [pid_t: [pid_t]] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let child = pid_t(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After "pid (comm) " come the state and the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = pid_t(fields[1]) { parents[parent, default: []].append(child) }
        }
        var stack = parents[pid] ?? [], found: [pid_t] = []
        while let next = stack.popLast() {
            found.append(next)
            stack += parents[next] ?? []
        }
        for victim in found { kill(victim, SIGKILL) }
    }
}
