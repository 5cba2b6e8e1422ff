import Checkpointing
import Corpus
import Distributed
import Foundation
import Kernels
import Models
import Objectives
import Optimization
import Tensor

/// `bertin train`: builds the recipe's model, objective and optimizer, then runs its phases on
/// this rank's devices, logging, evaluating and checkpointing on rank 0, resumable from the newest
/// checkpoint of the run folder. Nothing here names a model family: the registry builds the model
/// and the family's pre-training objective turns rows into losses.
public final class TrainingRun {
    public let recipe: Recipe
    public let recipeText: String
    public let runtime: MPIRuntime
    public let layout: DeviceLayout
    /// Where rank 0's progress lines go.
    public var log: (String) -> Void = { print($0); fflush(stdout) }
    let checkpoints: CheckpointPolicy
    /// The stop request and the watchdog's context, from the command.
    let control: RunControl

    public init(recipe: Recipe, recipeText: String, runtime: MPIRuntime, control: RunControl) throws {
        try recipe.validate(ranks: runtime.size)
        self.control = control
        self.recipe = recipe
        self.recipeText = recipeText
        self.runtime = runtime
        layout = try DeviceLayout(devices: recipe.devices, rank: runtime.rank, ranks: runtime.size)
        checkpoints = CheckpointPolicy(recipe: recipe)
    }

    public struct Summary: Sendable {
        public var step = 0
        public var lastLoss: Float = .nan
        public var lastEval: (loss: Double, accuracy: Double)?
        public var checkpoints: [String] = []
        /// The run stopped early on a signal, after writing a checkpoint of its last step.
        public var stoppedBySignal = false
    }

    /// The recipe's model (its `model:` section through the registry; the vocabulary of the first
    /// phase's rows when the section names none) and the family's default objective from the registry.
    public func makeObjective() throws -> any TokenRowsObjective {
        let rows = try TokenRows(directory: recipe.phases[0].rows, split: "train")
        let model = try ModelRegistry.model(type: recipe.model.type, recipeSection: try recipe.model.settingsJSON,
                                            vocabularySize: rows.index.vocabularySize)
        return try ObjectiveRegistry.objective(model: model, rows: RowVocabulary(rows.index))
    }

    /// Runs the recipe; with `resume`, from the newest intact checkpoint of the run folder. A
    /// resume whose recipe differs from the checkpoint's in anything but logging and checkpoint
    /// bookkeeping is refused unless `allowRecipeChange`.
    public func run(resume: Bool, allowRecipeChange: Bool = false) throws -> Summary {
        try run(objective: try makeObjective(), resume: resume, allowRecipeChange: allowRecipeChange)
    }

    func run<Objective: TokenRowsObjective>(objective: Objective, resume: Bool, allowRecipeChange: Bool = false) throws -> Summary {
        guard let model = objective.model as? any LanguageModel else {
            throw TrainingError.invalidRecipe("bertin train pre-trains language models; \(type(of: objective.model).architecture) is fine-tuned with bertin finetune")
        }
        let trainer = try Trainer(objective: objective, optimizer: recipe.optimizerConfiguration,
                                  decayMask: WeightDecayMask(recipe.optimizer.weightDecayMask),
                                  seed: recipe.seed, layout: layout, runtime: runtime, sharding: recipe.sharding, control: control)
        trainer.recompute = recipe.recompute
        // First line of every log: what the run computes on (a wrong kernel shows here, not in the ETA).
        let platform = runtime.isMain ? PlatformReport.measure() : nil
        platform?.logLines.forEach(log)
        var position: [String: Int64] = [:]
        if runtime.isMain {
            for stale in checkpoints.removeStaleTemporaries() { log("removed \(stale), left by a checkpoint write that was interrupted") }
        }
        if resume, let (latest, contents) = try loadNewestIntact(into: trainer) {
            position = contents.progress.dataPosition
            if runtime.isMain { log("resuming from \(latest.path) at step \(trainer.step)") }
            if contents.recipe.isEmpty {
                // Converted from another stack: the optimizer's state and step continue; the random
                // draws follow this recipe's seed and the rows start from their first batch.
                trainer.seed = recipe.seed
                if runtime.isMain { log("\(latest.path) was converted (it holds no recipe): its data position is not ours, so the rows start from their first batch") }
            }
            try checkDrift(from: contents.recipe, checkpoint: latest.path, allowed: allowRecipeChange)
        } else if runtime.isMain {
            try FileManager.default.createDirectory(at: checkpoints.folder, withIntermediateDirectories: true)
            log("run \(recipe.name): \(model.modelType), \(model.parameterCount) parameters, \(layout.devices) devices on \(layout.ranks) rank(s)"
                + (trainer.shards != nil ? ", state sharded (\(trainer.sharding.rawValue))" : "") + ", \(recipe.totalSteps) steps")
        }
        try checkInputs(ofPhasesAfter: trainer.step, model: model)
        let logger = runtime.isMain ? try RunLogger(folder: checkpoints.folder, accuracyName: objective.accuracyName, print: log) : nil
        if let platform { try logger?.appendMetrics(["step": trainer.step, "platform": platform.fields]) }
        var summary = Summary()
        let starts = recipe.phaseStarts
        for (index, phase) in recipe.phases.enumerated() where trainer.step < starts[index] + phase.steps {
            if try runPhase(index, trainer: trainer, model: model, logger: logger, position: position, summary: &summary) {
                reportPeakMemory(trainer)
                if runtime.isMain { log("stopping on \(control.stopRequested() ? StopSignal.signalName : "another rank's signal") after step \(trainer.step): checkpoint written, continue with --resume") }
                return summary
            }
        }
        reportPeakMemory(trainer)
        return summary
    }

    /// Runs phase `index` to its end (from inside it when resumed there, at data `position`);
    /// returns whether it stopped early on a signal.
    func runPhase<Objective: TokenRowsObjective>(_ index: Int, trainer: Trainer<Objective>, model: any LanguageModel, logger: RunLogger?,
                                                 position: [String: Int64], summary: inout Summary) throws -> Bool {
        let phase = recipe.phases[index], starts = recipe.phaseStarts
        let resumedInside = trainer.step > starts[index]
        if !resumedInside { try startPhase(index, trainer: trainer) }
        let rows = try TokenRows(directory: phase.rows, split: "train")
        try check(rows, fit: model, phase: phase)
        let evalRows = try evaluationRows(phase)
        let perUpdate = phase.perDeviceBatch * phase.accumulation
        let loader = try BatchLoader(rows: rows, globalBatchSize: perUpdate * layout.devices, devices: layout.devices,
                                     seed: RunSeed.loader(recipe.seed, phase: index))
        // A converted checkpoint (BERTIN's Flax state, `bertin convert --from-flax`) carries no data
        // position of ours: its run continues from the rows' first batch.
        if resumedInside, !position.isEmpty { try loader.restore(position) }
        let end = starts[index] + phase.steps
        let (started, firstStep) = (Date(), trainer.step)
        var last = summary
        defer { summary = last }
        var loop = TrainingLoop(trainer: trainer, runtime: runtime) {
            guard trainer.step < end else { return nil }
            return .init(batches: try self.deviceBatches(loader.next(), phase: index, trainer: trainer),
                         learningRate: self.recipe.learningRate(phase: index, step: trainer.step, phaseStart: starts, optimizerCount: trainer.optimizer.stepCount))
        }
        loop.record = { result, seconds in
            (last.step, last.lastLoss) = (trainer.step, result.loss)
            guard let logger else { return }
            let remaining = Date().timeIntervalSince(started) / Double(trainer.step - firstStep) * Double(self.recipe.totalSteps - trainer.step)
            try logger.step(RunLogger.StepLine(step: trainer.step, totalSteps: self.recipe.totalSteps, phase: phase.name, result: result,
                                               tokensPerSecond: Double(perUpdate * self.layout.devices * rows.sequenceLength) / seconds,
                                               stepSeconds: seconds, remainingSeconds: remaining),
                            printing: trainer.step % self.recipe.logEvery == 0 || trainer.step == end)
        }
        loop.evaluate = { _ in
            guard let evalRows, trainer.step % self.recipe.evalEvery == 0 || trainer.step == end,
                  let evaluation = try self.evaluate(trainer, rows: evalRows, perDeviceBatch: phase.perDeviceBatch) else { return }
            last.lastEval = evaluation
            try logger?.evaluation(step: trainer.step, phase: phase.name, loss: evaluation.loss, accuracy: evaluation.accuracy)
        }
        loop.checkpoint = { _, stopping in
            if stopping { last.stoppedBySignal = true }
            guard self.checkpoints.isDue(step: trainer.step) || trainer.step == end || stopping else { return false }
            var position = loader.position
            position["phase"] = Int64(index)
            let path = self.checkpoints.path(step: trainer.step)
            try trainer.checkpoint(to: path, recipe: self.recipeText, dataPosition: position)
            if self.runtime.isMain {
                last.checkpoints.append(path)
                self.checkpoints.prune()
            }
            return true
        }
        return try loop.run()
    }

    /// This rank's devices' micro-batches of one global batch (`global[device]` holds the device's rows).
    func deviceBatches<Objective: TokenRowsObjective>(_ global: [[[Int32]]], phase index: Int, trainer: Trainer<Objective>) throws -> [[Objective.Batch]] {
        let phase = recipe.phases[index]
        let collationSeed = RunSeed.collator(recipe.seed, phase: index)
        return try layout.localDevices.map { device in
            let slice = global[device]
            return try (0..<phase.accumulation).map { micro in
                try trainer.objective.batch(rows: Array(slice[(micro * phase.perDeviceBatch)..<((micro + 1) * phase.perDeviceBatch)]),
                                            seed: collationSeed, step: trainer.step, device: device, micro: micro)
            }
        }
    }

    /// Logs every rank's peak resident memory (collective), and at stage 3 how many parameter gathers were prefetched.
    func reportPeakMemory<Objective>(_ trainer: Trainer<Objective>) {
        let peaks = PeakMemory.perRank(runtime)
        if runtime.isMain { log("peak resident memory per rank: " + peaks.map { String($0 >> 20) }.joined(separator: ", ") + " MiB") }
        if runtime.isMain, let gathered = trainer.gathered, gathered.gathers > 0 {
            log("parameter gathers: \(gathered.gathers), \(gathered.prefetchedGathers * 100 / gathered.gathers)% prefetched")
        }
    }

    /// A phase that starts (not one resumed inside): a fresh optimizer when asked, and weights
    /// (and moments) from `initialize_from`.
    func startPhase<Objective>(_ index: Int, trainer: Trainer<Objective>) throws {
        let phase = recipe.phases[index]
        if index > 0, phase.optimizerState == .fresh { trainer.optimizer.reset() }
        if let source = phase.initializeFrom {
            try trainer.loadWeights(from: source, optimizerState: phase.optimizerState == .keep)
            if runtime.isMain { log("phase \(phase.name) starts from \(source)") }
        }
    }

    /// The rows (train and eval) of every phase still to run, and the `initialize_from` checkpoint
    /// of every phase still to start, checked before the first step: a later phase's missing or
    /// damaged input must not end a run hours in.
    func checkInputs(ofPhasesAfter step: Int, model: any LanguageModel) throws {
        let starts = recipe.phaseStarts
        for (index, phase) in recipe.phases.enumerated() where step < starts[index] + phase.steps {
            try check(try TokenRows(directory: phase.rows, split: "train"), fit: model, phase: phase)
            _ = try evaluationRows(phase, warn: false)
            if let source = phase.initializeFrom, step <= starts[index], !FileManager.default.fileExists(atPath: source) {
                throw TrainingError.invalidRecipe("phases.\(index).initialize_from: \(source): no such file")
            }
        }
    }

    func check(_ rows: TokenRows, fit model: any LanguageModel, phase: Recipe.Phase) throws {
        guard rows.sequenceLength <= model.maxSequenceLength else {
            throw TrainingError.invalidRecipe("phase \(phase.name): rows of \(rows.sequenceLength) tokens are longer than the model's \(model.maxSequenceLength) positions")
        }
        guard rows.index.vocabularySize <= model.vocabularySize else {
            throw TrainingError.invalidRecipe("phase \(phase.name): rows use a vocabulary of \(rows.index.vocabularySize), the model has \(model.vocabularySize)")
        }
    }

    /// The phase's eval split, or nil with a warning naming the index when it has none or holds
    /// fewer rows than one global batch. A split the index names that cannot be read (a missing or
    /// truncated shard) is an error, not a reason to train without evaluating.
    func evaluationRows(_ phase: Recipe.Phase, warn: Bool = true) throws -> TokenRows? {
        let index = URL(fileURLWithPath: phase.rows).appendingPathComponent("index.json").path
        guard try TokenRows.index(in: phase.rows).splits["eval"] != nil else {
            if runtime.isMain && warn { log("warning: \(index) has no eval split: phase \(phase.name) trains without evaluation") }
            return nil
        }
        let rows = try TokenRows(directory: phase.rows, split: "eval")
        let global = phase.perDeviceBatch * layout.devices
        guard rows.count >= global else {
            if runtime.isMain && warn {
                log("warning: \(index): the eval split's \(rows.count) rows are fewer than one global batch of \(global): phase \(phase.name) trains without evaluation")
            }
            return nil
        }
        return rows
    }

    /// Eval-mode loss and accuracy over the first `eval_batches` global batches of the eval split,
    /// summed over all devices (psum of loss sum, correct and labelled counts, divided at the end).
    func evaluate<Objective: TokenRowsObjective>(_ trainer: Trainer<Objective>, rows: TokenRows, perDeviceBatch: Int) throws -> (loss: Double, accuracy: Double)? {
        let global = perDeviceBatch * layout.devices
        let batches = min(recipe.evalBatches, rows.count / global)
        guard batches > 0 else { return nil }
        var totals = [0.0, 0.0, 0.0]
        for batch in 0..<batches {
            for device in layout.localDevices {
                let start = batch * global + device * perDeviceBatch
                let input = try trainer.objective.batch(rows: (start..<(start + perDeviceBatch)).map { rows.row($0) },
                                                        seed: RunSeed.evaluation(recipe.seed), step: batch, device: device, micro: 0)
                // Sharded parameters are gathered collectively: every rank evaluates every batch.
                guard trainer.objective.hasTargets(input) else {
                    if trainer.gathered != nil { _ = try? trainer.evaluate { p in try trainer.objective.loss(p, batch: input, mode: .evaluation) } }
                    continue
                }
                let output = try trainer.evaluate { p in try trainer.objective.loss(p, batch: input, mode: .evaluation) }
                totals[0] += Double(try output.loss.scalar) * Double(output.labelledCount)
                totals[1] += Double(output.correctCount)
                totals[2] += Double(output.labelledCount)
            }
        }
        let summed = runtime.sum(totals)
        return (summed[0] / summed[2], summed[1] / summed[2])
    }

    /// Loads the newest checkpoint that reads back whole, skipping (with a warning naming it and
    /// why) newer ones that fail: a corrupt or truncated file must not end a job that has an intact
    /// earlier one. nil when the folder holds none; an error when none of them loads.
    func loadNewestIntact<Objective>(into trainer: Trainer<Objective>) throws -> (URL, CheckpointContents)? {
        let candidates = checkpoints.checkpoints().reversed()
        guard !candidates.isEmpty else { return nil }
        var failures: [String] = []
        for candidate in candidates {
            do {
                return (candidate.url, try trainer.load(candidate.url.path))
            } catch {
                failures.append("\(error)")
                if runtime.isMain { log("warning: skipping checkpoint \(candidate.url.path): \(error)") }
            }
        }
        throw TrainingError.invalidRecipe("--resume: no checkpoint in \(checkpoints.folder.path) loads: \(failures.joined(separator: "; "))")
    }

    /// Compares the checkpoint's stored recipe with this run's: prints what changed, and refuses
    /// changes that make the run differ from the one it continues unless `allowed`.
    func checkDrift(from stored: String, checkpoint: String, allowed: Bool) throws {
        guard !stored.isEmpty else { return }
        let changes = try RecipeDrift.changes(from: stored, to: recipeText)
        guard !changes.isEmpty else { return }
        if runtime.isMain { log("recipe changed since \(checkpoint): " + changes.map(\.description).joined(separator: ", ")) }
        let significant = changes.filter { !$0.isBookkeeping }
        if !significant.isEmpty && !allowed {
            throw TrainingError.invalidRecipe("resuming would change the run it continues (\(significant.map(\.path).joined(separator: ", "))); "
                + "restore those fields or pass --allow-recipe-change")
        }
    }

    /// The newest `step-*.h5` of the run folder.
    public func newestCheckpoint() throws -> URL? { checkpoints.newest() }
}
