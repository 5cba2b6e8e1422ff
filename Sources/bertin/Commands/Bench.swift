import ArgumentParser
import Foundation
import Kernels
import Models

/// Micro-benchmarks; Scripts/bench/ runs them beside PyTorch and prints the comparison.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure kernel and training-step speed (JSON lines on stdout).",
        subcommands: [Kernels.self, TrainStep.self])

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

    struct TrainStep: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "train",
            abstract: "Tokens/s of full training steps (forward, backward, AdamW) on one device; Scripts/bench/train-throughput runs it beside PyTorch.")

        @Option(help: "Model type: roberta (masked LM, dropout 0.1) or gptj (causal LM, dropout 0 as BERTIN-GPT-J).") var model = "roberta"
        @Option(name: .customLong("rotary-dim"), help: "Rotary features per head, for families that have them (GPT-J).") var rotaryDimension = 64
        @Option var hidden = 768
        @Option var layers = 12
        @Option var heads = 12
        @Option var intermediate = 3072
        @Option var vocabulary = 50265
        @Option(name: .customLong("sequence-length")) var sequenceLength = 128
        @Option var batch = 8
        @Option var warmup = 1
        @Option var steps = 3
        @Option(help: "Threads for the kernels and OpenBLAS.") var threads: Int?

        func run() throws {
            ComputeThreads.configure(threads: threads)
            // The recipe keys of the family: the registry builds the model as `bertin train` would.
            let family = try ModelRegistry.family(model)
            var section: [String: Int] = ["hidden_size": hidden, "layers": layers, "heads": heads, "intermediate_size": intermediate, "vocab_size": vocabulary]
            section.merge(family.positionSettings(sequenceLength)) { $1 }
            if family.recipeKeys.contains("rotary_dim") { section["rotary_dim"] = rotaryDimension }
            let built = try ModelRegistry.model(type: model, recipeSection: try JSONEncoder().encode(section), vocabularySize: vocabulary)
            let result = try TrainBenchmark(model: built, sequenceLength: sequenceLength, batch: batch).run(warmup: warmup, steps: steps)
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        }
    }
}
