import ArgumentParser
import Distributed
import Foundation
import Kernels
import Training

/// Data-parallel pre-training from a recipe, under mpirun or as a plain process.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pre-train from a YAML recipe; run under mpirun for several ranks (Scripts/launch.sh wraps it).",
        discussion: """
            Every layout computes the same thing: the recipe's `devices` replicas are spread over the MPI ranks \
            (mpirun -np 8: one per rank; -np 2: four per rank; no mpirun: all in one process). Rank 0 logs, writes \
            metrics.jsonl and checkpoints into the run folder (Checkpoints/<name> by default). --resume continues \
            from the newest checkpoint there. Any rank's error ends the whole job with a message and a non-zero exit.
            """)

    @Option(help: "The recipe (YAML).")
    var recipe: String

    @Flag(help: "Continue from the newest checkpoint of the run folder.")
    var resume = false

    @Flag(name: .customLong("allow-recipe-change"), help: "With --resume: continue even if the recipe changed in fields that make the run differ (model, devices, seed, batches, schedule, data).")
    var allowRecipeChange = false

    @Option(name: .customLong("set"), help: "Override a recipe field: key.path=value (repeatable), e.g. phases.0.steps=20.")
    var overrides: [String] = []

    @Option(help: "Threads per rank for the kernels and OpenBLAS (default: cores / ranks on this node, or BERTIN_THREADS).")
    var threads: Int?

    func run() throws {
        let runtime = MPIRuntime.shared
        let localRanks = Int(ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"] ?? "") ?? 1
        if let threads {
            ComputeThreads.configure(threads: threads)
        } else if ProcessInfo.processInfo.environment["BERTIN_THREADS"] == nil {
            ComputeThreads.configure(threads: max(1, ProcessInfo.processInfo.activeProcessorCount / localRanks))
        }
        do {
            let (recipe, text) = try Recipe.load(path: self.recipe, overrides: overrides)
            let summary = try TrainingRun(recipe: recipe, recipeText: text, runtime: runtime).run(resume: resume, allowRecipeChange: allowRecipeChange)
            if runtime.isMain {
                print("done: step \(summary.step), last loss \(summary.lastLoss)" + (summary.lastEval.map { String(format: ", eval loss %.4f, eval accuracy %.3f", $0.loss, $0.accuracy) } ?? ""))
            }
            runtime.finalize()
        } catch {
            runtime.abort("\(error)")
        }
    }
}
