import Checkpointing
import Corpus
import Distributed
import Foundation
import Kernels
import Models
import Optimization
import Tensor

/// `bertin train`: runs a recipe's phases on this rank's devices, logging, evaluating and
/// checkpointing on rank 0, resumable from the newest checkpoint of the run folder.
public final class TrainingRun {
    public let recipe: Recipe
    public let recipeText: String
    public let runtime: MPIRuntime
    public let layout: DeviceLayout
    /// Where rank 0's progress lines go.
    public var log: (String) -> Void = { print($0); fflush(stdout) }

    public init(recipe: Recipe, recipeText: String, runtime: MPIRuntime) throws {
        try recipe.validate(ranks: runtime.size)
        self.recipe = recipe
        self.recipeText = recipeText
        self.runtime = runtime
        layout = try DeviceLayout(devices: recipe.devices, rank: runtime.rank, ranks: runtime.size)
    }

    public struct Summary: Sendable {
        public var step = 0
        public var lastLoss: Float = .nan
        public var lastEval: (loss: Double, accuracy: Double)?
        public var checkpoints: [String] = []
    }

    var folder: URL { URL(fileURLWithPath: recipe.outputFolder) }

    public func run(resume: Bool) throws -> Summary {
        let firstRows = try TokenRows(directory: recipe.phases[0].rows, split: "train")
        let m = recipe.model
        var config = RobertaConfig(vocabularySize: m.vocabularySize ?? firstRows.index.vocabularySize, hiddenSize: m.hiddenSize,
                                   layerCount: m.layers, headCount: m.heads, intermediateSize: m.intermediateSize,
                                   maxPositionEmbeddings: m.maxPositionEmbeddings)
        config.hiddenDropout = m.hiddenDropout
        config.attentionDropout = m.attentionDropout
        let model = try RobertaForMaskedLM(config: config)
        let o = recipe.optimizer
        let first = recipe.phases[0]
        let optimizerConfiguration = AdamWConfiguration(
            schedule: .warmupThenLinearDecay(peak: first.learningRate, warmupSteps: first.warmupSteps, totalSteps: first.steps),
            beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, weightDecay: o.weightDecay, clipGlobalNorm: o.clipGlobalNorm)
        let trainer = try MaskedLMTrainer(model: model, optimizer: optimizerConfiguration, seed: recipe.seed, layout: layout, runtime: runtime)
        var position: [String: Int64] = [:]
        var summary = Summary()
        if resume, let latest = try newestCheckpoint() {
            position = try trainer.load(latest.path).dataPosition
            if runtime.isMain { log("resuming from \(latest.path) at step \(trainer.step)") }
        } else if runtime.isMain {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            log("run \(recipe.name): \(model.layout.reduce(0) { $0 + $1.shape.reduce(1, *) }) parameters, \(layout.devices) devices on \(layout.ranks) rank(s), \(recipe.totalSteps) steps")
        }
        let tensorBoard = runtime.isMain ? try TensorBoardWriter(folder: folder.appendingPathComponent("tensorboard").path) : nil
        let starts = recipe.phaseStarts
        for (index, phase) in recipe.phases.enumerated() where trainer.step < starts[index] + phase.steps {
            let resumedInside = trainer.step > starts[index]
            if !resumedInside {
                if index > 0, phase.optimizerState == "fresh" { trainer.optimizer.reset() }
                if let source = phase.initializeFrom {
                    _ = try Checkpoint.read(from: source, into: trainer.parameters, optimizer: phase.optimizerState == "keep" ? trainer.optimizer : nil)
                    if runtime.isMain { log("phase \(phase.name) starts from \(source)") }
                }
            }
            let rows = try TokenRows(directory: phase.rows, split: "train")
            guard rows.sequenceLength + config.paddingTokenID + 1 <= config.maxPositionEmbeddings else {
                throw TrainingError.invalidRecipe("phase \(phase.name): rows of \(rows.sequenceLength) tokens need max_position_embeddings ≥ \(rows.sequenceLength + 2)")
            }
            guard rows.index.vocabularySize <= config.vocabularySize else {
                throw TrainingError.invalidRecipe("phase \(phase.name): rows use a vocabulary of \(rows.index.vocabularySize), the model has \(config.vocabularySize)")
            }
            let evalRows = try? TokenRows(directory: phase.rows, split: "eval")
            let perUpdate = phase.perDeviceBatch * phase.accumulation
            let loader = try BatchLoader(rows: rows, globalBatchSize: perUpdate * layout.devices, devices: layout.devices, seed: recipe.seed &+ UInt64(index))
            if resumedInside { try loader.restore(position) }
            let collator = MaskedLMCollator(index: rows.index, seed: recipe.seed &+ 0x10_000 &+ UInt64(index))
            let end = starts[index] + phase.steps
            let started = Date()
            var lastStepTime = Date()
            let firstStep = trainer.step
            while trainer.step < end {
                let global = loader.next()
                var batches: [[MaskedLMBatch]] = []
                for device in layout.localDevices {
                    let slice = global[device]
                    batches.append(try (0..<phase.accumulation).map { micro in
                        try collator.batch(rows: Array(slice[(micro * phase.perDeviceBatch)..<((micro + 1) * phase.perDeviceBatch)]),
                                           step: trainer.step, device: device, micro: micro)
                    })
                }
                let rate = recipe.learningRate(phase: index, step: trainer.step, phaseStart: starts, optimizerCount: trainer.optimizer.stepCount)
                let result = try trainer.step(batches, learningRate: rate)
                summary.step = trainer.step
                summary.lastLoss = result.loss
                let now = Date()
                let stepSeconds = now.timeIntervalSince(lastStepTime)
                let tokensPerSecond = Double(perUpdate * layout.devices * rows.sequenceLength) / now.timeIntervalSince(lastStepTime)
                lastStepTime = now
                if runtime.isMain {
                    let elapsed = now.timeIntervalSince(started)
                    let remaining = elapsed / Double(trainer.step - firstStep) * Double(recipe.totalSteps - trainer.step)
                    if trainer.step % recipe.logEvery == 0 || trainer.step == end {
                        log(String(format: "step %d/%d %@ | loss %.4f | mlm acc %.3f | lr %.2e | %.0f tok/s | eta %@",
                                   trainer.step, recipe.totalSteps, phase.name, result.loss, result.accuracy, result.learningRate,
                                   tokensPerSecond, duration(remaining)))
                    }
                    try tensorBoard?.add([("train/loss", Double(result.loss)), ("train/mlm_accuracy", result.accuracy),
                                          ("train/learning_rate", Double(result.learningRate)), ("train/gradient_norm", result.gradientNorm),
                                          ("train/tokens_per_second", tokensPerSecond)], step: trainer.step)
                    try appendMetrics(["step": trainer.step, "phase": phase.name, "loss": Double(result.loss), "accuracy": result.accuracy,
                                       "learning_rate": Double(result.learningRate), "gradient_norm": result.gradientNorm,
                                       "tokens_per_second": tokensPerSecond, "step_seconds": stepSeconds,
                                       "communication_wait_seconds": result.communicationWaitSeconds])
                }
                if let evalRows, trainer.step % recipe.evalEvery == 0 || trainer.step == end {
                    if let evaluation = try evaluate(trainer, rows: evalRows, perDeviceBatch: phase.perDeviceBatch, seed: recipe.seed) {
                        summary.lastEval = evaluation
                        if runtime.isMain {
                            log(String(format: "eval at step %d %@ | loss %.4f | mlm acc %.3f", trainer.step, phase.name, evaluation.loss, evaluation.accuracy))
                            try appendMetrics(["step": trainer.step, "phase": phase.name, "eval_loss": evaluation.loss, "eval_accuracy": evaluation.accuracy])
                            try tensorBoard?.add([("eval/loss", evaluation.loss), ("eval/mlm_accuracy", evaluation.accuracy)], step: trainer.step)
                        }
                    }
                }
                if trainer.step % recipe.checkpointEvery == 0 || trainer.step == end || recipe.keepSteps.contains(trainer.step) {
                    var position = loader.position
                    position["phase"] = Int64(index)
                    if runtime.isMain {
                        let path = folder.appendingPathComponent(String(format: "step-%08d.h5", trainer.step)).path
                        try trainer.save(to: path, recipe: recipeText, dataPosition: position)
                        summary.checkpoints.append(path)
                        try pruneCheckpoints()
                    }
                    runtime.barrier()
                }
            }
        }
        return summary
    }

    /// Eval-mode loss and accuracy over the first `evalBatches` global batches of the eval split,
    /// summed over all devices (psum of loss sum, correct and labelled counts, divided at the end).
    func evaluate(_ trainer: MaskedLMTrainer, rows: TokenRows, perDeviceBatch: Int, seed: UInt64) throws -> (loss: Double, accuracy: Double)? {
        let global = perDeviceBatch * layout.devices
        let batches = min(recipe.evalBatches, rows.count / global)
        guard batches > 0 else { return nil }
        let collator = MaskedLMCollator(index: rows.index, seed: seed ^ 0xE7A1_0000)
        var totals = [0.0, 0.0, 0.0]
        for batch in 0..<batches {
            for device in layout.localDevices {
                let start = batch * global + device * perDeviceBatch
                let input = try collator.batch(rows: (start..<(start + perDeviceBatch)).map { rows.row($0) }, step: batch, device: device)
                guard input.labels.indices.contains(where: { $0 != ignoredLabel }) else { continue }
                let output = try trainer.parameters.value { p in try trainer.model.maskedLM(p, batch: input, mode: .evaluation) }
                totals[0] += Double(try output.loss.scalar) * Double(output.labelledCount)
                totals[1] += Double(output.correctCount)
                totals[2] += Double(output.labelledCount)
            }
        }
        let summed = runtime.sum(totals)
        return (summed[0] / summed[2], summed[1] / summed[2])
    }

    /// The newest `step-*.h5` of the run folder (partial files have hidden names and never count).
    public func newestCheckpoint() throws -> URL? {
        try checkpoints().last?.url
    }

    func checkpoints() throws -> [(step: Int, url: URL)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("step-"), name.hasSuffix(".h5"), let step = Int(name.dropFirst(5).dropLast(3)) else { return nil }
            return (step, folder.appendingPathComponent(name))
        }.sorted { $0.0 < $1.0 }
    }

    /// Keeps the newest `keep_checkpoints`, the last checkpoint of every phase and `keep_steps`.
    func pruneCheckpoints() throws {
        let phaseEnds = Set(recipe.phaseStarts.enumerated().map { $0.element + recipe.phases[$0.offset].steps } + recipe.keepSteps)
        let prunable = try checkpoints().filter { !phaseEnds.contains($0.step) }
        for old in prunable.dropLast(recipe.keepCheckpoints) { try? FileManager.default.removeItem(at: old.url) }
    }

    func appendMetrics(_ fields: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) + Data("\n".utf8)
        let path = folder.appendingPathComponent("metrics.jsonl").path
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
    }

    func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let total = Int(seconds.rounded())
        return total >= 3600 ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60) : String(format: "%d:%02d", total / 60, total % 60)
    }
}
