import ArgumentParser
import Foundation
import Kernels

/// Micro-benchmarks; Scripts/bench/ runs them beside PyTorch and prints the comparison.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure kernel speed (JSON lines on stdout).",
        subcommands: [Kernels.self])

    struct Kernels: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Forward+backward of matmul, LayerNorm, softmax and GELU on RoBERTa-base shapes.")

        @Option(help: "Threads for the kernels and OpenBLAS (default: all cores).")
        var threads: Int?

        @Option(help: "Timed repetitions per operation (the median is reported).")
        var repetitions = 10

        func validate() throws {
            guard repetitions > 0 else { throw ValidationError("--repetitions must be positive") }
            if let threads, threads < 1 { throw ValidationError("--threads must be positive") }
        }

        func run() throws {
            ComputeThreads.configure(threads: threads)
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            for result in try KernelBenchmarks.all(repetitions: repetitions) {
                print(String(decoding: try encoder.encode(result), as: UTF8.self))
            }
        }
    }
}
