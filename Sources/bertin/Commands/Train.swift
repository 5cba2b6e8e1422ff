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

    @Option(help: "Seconds a rank waits for MPI start-up or for other ranks in a collective before it ends the job (default: BERTIN_TIMEOUT, else 300 for start-up and 1800 for collectives).")
    var timeout: Double?

    func run() throws {
        // Before MPI starts: its start-up is bounded by the watchdog, and a stop signal that
        // arrives during it must not kill the rank.
        if let timeout { Watchdog.shared.configure(timeout: timeout) }
        StopSignal.install()
        let runtime = MPIRuntime.shared
        configureThreads(threads)
        var stopped = false
        defer { if stopped { Foundation.exit(StopSignal.exitCode) } }
        do {
            let (recipe, text) = try Recipe.load(path: self.recipe, overrides: overrides)
            let summary = try TrainingRun(recipe: recipe, recipeText: text, runtime: runtime, control: .process).run(resume: resume, allowRecipeChange: allowRecipeChange)
            if summary.stoppedBySignal {
                runtime.finalize()
                stopped = true
                return
            }
            if runtime.isMain {
                print("done: step \(summary.step), last loss \(summary.lastLoss)" + (summary.lastEval.map { String(format: ", eval loss %.4f, eval accuracy %.3f", $0.loss, $0.accuracy) } ?? ""))
            }
            runtime.finalize()
        } catch {
            runtime.abort("\(error)")
        }
    }
}
