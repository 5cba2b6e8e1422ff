import Foundation
import Kernels

/// Runs fuzz targets: for each, `inputs` mutated seeds, each written to a work folder and read.
/// A read may succeed or throw an error naming the file; an error that does not name it is a
/// failure (its input is kept). A crash ends the process: the input that caused it is the one
/// left at the target's input path, which `lastInput` names and the driver keeps. An input that
/// runs longer than `hangSeconds` ends the process too (exit 3), so nothing can hang the run.
public struct FuzzRun {
    public struct TargetReport: Codable, Sendable {
        public var target: String
        public var inputs = 0
        public var accepted = 0
        public var refused = 0
        public var unnamedErrors = 0
        public var longestSeconds = 0.0
        public var totalSeconds = 0.0
    }

    public let root: URL
    public let work: URL
    public let seed: UInt64
    public var hangSeconds = 10.0
    /// Failures (errors that do not name the file) go here with their message.
    public var failures: URL

    public init(root: URL, work: URL, seed: UInt64) {
        (self.root, self.work, self.seed) = (root, work, seed)
        failures = work.appendingPathComponent("failures")
    }

    /// Where the input being read lives; after a crash, the file that caused it.
    public func lastInput(_ target: FuzzTarget) -> URL { work.appendingPathComponent(target.name).appendingPathComponent(target.fileName) }

    public func run(_ target: FuzzTarget, inputs: Int) throws -> TargetReport {
        let folder = work.appendingPathComponent(target.name)
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for companion in target.companions {
            let source = root.appendingPathComponent(companion)
            try FileManager.default.copyItem(at: source, to: folder.appendingPathComponent(source.lastPathComponent))
        }
        let seeds = try target.seeds.map { path -> [UInt8] in
            guard let data = FileManager.default.contents(atPath: root.appendingPathComponent(path).path) else {
                throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: root.appendingPathComponent(path).path])
            }
            return [UInt8](data)
        }
        var mutator = Mutator(seed: seed ^ UInt64(truncatingIfNeeded: target.name.hashValueStable))
        var report = TargetReport(target: target.name)
        let input = lastInput(target)
        let watchdog = HangWatchdog(seconds: hangSeconds, what: "fuzz target \(target.name): \(input.path)")
        for index in 0..<inputs {
            // Every tenth input is an unmutated seed: the seeds must keep reading.
            let seedBytes = seeds[index % seeds.count]
            let bytes = index % 10 == 0 ? seedBytes : mutator.mutate(seedBytes)
            try Data(bytes).write(to: input)
            let started = DispatchTime.now().uptimeNanoseconds
            watchdog.arm()
            do {
                try target.read(input.path, folder.path)
                report.accepted += 1
            } catch {
                report.refused += 1
                let message = "\(error)"
                if !message.contains(folder.path) { try keep(bytes, of: target, index: index, message: message); report.unnamedErrors += 1 }
            }
            watchdog.disarm()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            report.longestSeconds = max(report.longestSeconds, seconds)
            report.totalSeconds += seconds
            report.inputs += 1
        }
        return report
    }

    func keep(_ bytes: [UInt8], of target: FuzzTarget, index: Int, message: String) throws {
        try FileManager.default.createDirectory(at: failures, withIntermediateDirectories: true)
        let base = failures.appendingPathComponent("\(target.name)-\(seed)-\(index)")
        try Data(bytes).write(to: base.appendingPathExtension("input"))
        try Data(message.utf8).write(to: base.appendingPathExtension("txt"))
    }
}

/// Ends the process (exit 3, naming what ran) when an armed period runs past its limit.
final class HangWatchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var deadline: UInt64 = .max
    private let limit: UInt64

    init(seconds: Double, what: String) {
        limit = UInt64(seconds * 1e9)
        Thread { [self] in
            while true {
                usleep(100_000)
                lock.lock(); let due = deadline; lock.unlock()
                if DispatchTime.now().uptimeNanoseconds > due {
                    FileHandle.standardError.write(Data("fuzz: an input ran past \(seconds) s: \(what)\n".utf8))
                    exit(3)
                }
            }
        }.start()
    }

    func arm() { lock.lock(); deadline = DispatchTime.now().uptimeNanoseconds + limit; lock.unlock() }
    func disarm() { lock.lock(); deadline = .max; lock.unlock() }
}

extension String {
    /// A hash that is the same in every process (Swift's hashValue is seeded per process).
    var hashValueStable: UInt64 { utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 } }
}
