import ArgumentParser
import CheckpointedModels
import Checkpointing
import Foundation
import Models

/// Whether two checkpoints hold the same training state, bit for bit (HDF5 files differ in bytes
/// even when they do: object timestamps, the stored recipe's paths).
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two checkpoints' parameters, optimizer moments, step and seed bit for bit; exit 1 if they differ.")

    @Argument(help: "Two checkpoints.")
    var checkpoints: [String]

    func validate() throws {
        guard checkpoints.count == 2 else { throw ValidationError("give two checkpoints") }
    }

    func run() throws {
        let states = try checkpoints.map { path -> (bits: [UInt32], step: Int, seed: UInt64) in
            let (bits, contents) = try ModelRegistry.trainingStateBits(checkpoint: path)
            return (bits, contents.progress.step, contents.progress.seed)
        }
        guard states[0].bits.count == states[1].bits.count else {
            print("different models: \(states[0].bits.count) vs \(states[1].bits.count) values")
            throw ExitCode(1)
        }
        let differing = zip(states[0].bits, states[1].bits).filter { $0 != $1 }.count
        print("\(differing) of \(states[0].bits.count) parameter and moment values differ; step \(states[0].step) vs \(states[1].step), seed \(states[0].seed) vs \(states[1].seed)")
        if differing > 0 || states[0].step != states[1].step || states[0].seed != states[1].seed { throw ExitCode(1) }
    }
}
