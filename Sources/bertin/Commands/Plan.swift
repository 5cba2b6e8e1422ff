import ArgumentParser
import Corpus
import Foundation
import Models
import Tensor
import Training

/// Memory and communication per rank for each sharding stage of a recipe, before running it.
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bytes per rank (parameters, gradients, Double accumulator, moments, gathered parameters, activations) and bytes sent per step for each sharding stage.",
        discussion: """
            Activations are per device micro-batch of each phase (devices and micro-batches of a rank run one after \
            another), recording everything and recomputing each block (`recompute: true`). \
            The sequence length comes from the phase's prepared rows, or is the model's longest row when they are not there yet.
            """)

    @Option(help: "The recipe (YAML).")
    var recipe: String

    @Option(help: "MPI ranks the recipe's devices are spread over.")
    var ranks: Int

    @Option(name: .customLong("memory-per-rank"), help: "GB of memory each rank may use: the plan says which stages fit.")
    var memoryPerRank: Double?

    @Option(name: .customLong("set"), help: "Override a recipe field: key.path=value (repeatable).")
    var overrides: [String] = []

    func run() throws {
        let (recipe, _) = try Recipe.load(path: self.recipe, overrides: overrides)
        let rows = try? TokenRows(directory: recipe.phases[0].rows, split: "train")
        let model = try ModelRegistry.model(type: recipe.model.type, recipeSection: try recipe.model.settingsJSON,
                                            vocabularySize: rows?.index.vocabularySize ?? 50_265)
        let plan = try MemoryPlan(model: model, recipe: recipe, ranks: ranks)
        print("\(recipe.name): \(model.modelType), \(plan.parameterCount) parameters; \(recipe.devices) devices on \(ranks) rank(s) (\(plan.devicesPerRank) per rank)")
        for phase in plan.phases {
            print("phase \(phase.name): \(phase.perDeviceBatch) × \(phase.sequenceLength) tokens per device micro-batch"
                  + (phase.lengthFromRows ? "" : " (rows not prepared: the model's longest row)"))
        }
        print("")
        let gib = { (bytes: Int) in String(format: "%8.2f", Double(bytes) / Double(1 << 30)) }
        var header = "GiB per rank".padding(toLength: 40, withPad: " ", startingAt: 0)
        for stage in plan.stages { header += stage.sharding.rawValue.leftPadded(12) }
        print(header)
        func row(_ label: String, _ value: (MemoryPlan.Stage) -> Int) {
            print(label.padding(toLength: 40, withPad: " ", startingAt: 0) + plan.stages.map { "    " + gib(value($0)) }.joined())
        }
        row("parameters (fp32)") { $0.parameters }
        row("gathered parameters (ZeRO-3)") { $0.gatheredParameters }
        row("gradients (fp32)") { $0.gradients }
        row("Double accumulator / owned sums") { $0.accumulator }
        row("AdamW moments") { $0.moments }
        for (index, phase) in plan.phases.enumerated() {
            row("activations \(phase.name), recorded") { $0.activations[index].recorded }
            row("activations \(phase.name), recompute") { $0.activations[index].recomputed }
        }
        row("runtime (measured)") { _ in MemoryPlan.runtimeBytes }
        row("peak, recording") { $0.peak(recompute: false, runtime: MemoryPlan.runtimeBytes) }
        row("peak, recompute: true") { $0.peak(recompute: true, runtime: MemoryPlan.runtimeBytes) }
        for (index, phase) in plan.phases.enumerated() {
            row("sent per step, \(phase.name)") { $0.communicated[index] }
        }
        if let memoryPerRank {
            let limit = Int(memoryPerRank * 1e9)
            print("")
            for stage in plan.stages {
                let recording = stage.peak(recompute: false, runtime: MemoryPlan.runtimeBytes) <= limit
                let recomputing = stage.peak(recompute: true, runtime: MemoryPlan.runtimeBytes) <= limit
                let verdict = recording ? "fits" : recomputing ? "fits with recompute: true" : "does not fit"
                print("\(stage.sharding.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(verdict) in \(memoryPerRank) GB per rank")
            }
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
