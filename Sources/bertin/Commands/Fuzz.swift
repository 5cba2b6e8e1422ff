import ArgumentParser
import Foundation
import Fuzzing

/// Seeded mutations of committed seed files through every parser of a user's files. One JSON
/// line per target; exit 1 when any error failed to name its file (the inputs are kept under
/// WORK/failures). A crash or an input past --hang-seconds ends the process: the input is the
/// target's file under WORK (Scripts/fuzz/run keeps it).
struct Fuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fuzz the parsers of user files (safetensors, configs, tokenizers, recipes, checkpoints, n-gram models, token rows, corpora, fine-tuning files).")

    @Option(help: "A target to run (repeatable; default: all). Names: \(FuzzTargets.all.map(\.name).joined(separator: ", ")).")
    var target: [String] = []
    @Option(help: "Mutated inputs per target.") var inputs = 1000
    @Option(help: "Seed of the mutations.") var seed: UInt64 = 1
    @Option(help: "The repository root (where the seed files are).") var root = FileManager.default.currentDirectoryPath
    @Option(help: "Work folder for inputs and kept failures (default: a new temporary folder).") var work: String?
    @Option(help: "Seconds one input may take before the run ends as hung.") var hangSeconds = 10.0
    @Option(help: "Address-space limit in GiB: an allocation a file cannot back fails instead of swapping.") var memoryGb = 8
    @Flag(help: "Print the target names, one per line, and exit.") var list = false

    func run() throws {
        if list {
            FuzzTargets.all.forEach { print($0.name) }
            return
        }
        let chosen = target.isEmpty ? FuzzTargets.all : try target.map { name in
            guard let found = FuzzTargets.all.first(where: { $0.name == name }) else {
                throw ValidationError("unknown target \(name) (known: \(FuzzTargets.all.map(\.name).joined(separator: ", ")))")
            }
            return found
        }
        var limit = rlimit(rlim_cur: rlim_t(memoryGb) << 30, rlim_max: rlim_t(memoryGb) << 30)
        setrlimit(Int32(RLIMIT_AS.rawValue), &limit)
        let folder = URL(fileURLWithPath: work ?? FileManager.default.temporaryDirectory.appendingPathComponent("bertin-fuzz-\(UUID().uuidString)").path)
        var fuzz = FuzzRun(root: URL(fileURLWithPath: root), work: folder, seed: seed)
        fuzz.hangSeconds = hangSeconds
        var unnamed = 0
        for target in chosen {
            FileHandle.standardError.write(Data("fuzz: \(target.name) (input at \(fuzz.lastInput(target).path))\n".utf8))
            let report = try fuzz.run(target, inputs: inputs)
            unnamed += report.unnamedErrors
            print(String(decoding: try JSONEncoder().encode(report), as: UTF8.self))
            fflush(stdout)
        }
        if unnamed > 0 {
            FileHandle.standardError.write(Data("fuzz: \(unnamed) errors did not name their file; inputs and messages in \(fuzz.failures.path)\n".utf8))
            throw ExitCode(1)
        }
    }
}
