import Checkpointing
import Foundation
import Kernels
import Models
import Optimization
import Tensor

/// Single-process masked-LM training state: the model's parameters, the optimizer and the run's
/// seed. One `step` = forward and backward over the micro-batches of one update, then AdamW.
/// Dropout keys come from (seed, step, device, site), so a run resumed from a checkpoint draws
/// exactly the masks the uninterrupted run would have drawn.
public final class MaskedLMTrainer {
    public let model: RobertaForMaskedLM
    public let parameters: ParameterStore
    public let optimizer: AdamW
    public let seed: UInt64
    /// Updates done so far.
    public var step: Int { optimizer.stepCount }

    /// A fresh run: parameters initialised from `seed`.
    public init(model: RobertaForMaskedLM, optimizer configuration: AdamWConfiguration, seed: UInt64) throws {
        self.model = model
        parameters = try model.makeParameterStore()
        try model.initialize(parameters, seed: seed)
        optimizer = try AdamW(configuration: configuration, parameters: parameters)
        self.seed = seed
    }

    /// A run continued from `checkpoint`: parameters, moments, update count and seed as saved.
    public init(resumingFrom checkpoint: String, model: RobertaForMaskedLM, optimizer configuration: AdamWConfiguration) throws {
        self.model = model
        parameters = try model.makeParameterStore()
        optimizer = try AdamW(configuration: configuration, parameters: parameters)
        let contents = try Checkpoint.read(from: checkpoint, into: parameters, optimizer: optimizer)
        seed = contents.progress.seed
        guard contents.progress.step == optimizer.stepCount else {
            throw CheckpointError.file(path: checkpoint, reason: "progress step \(contents.progress.step) disagrees with the optimizer count \(optimizer.stepCount)")
        }
    }

    public struct StepResult: Equatable, Sendable {
        public let loss: Float
        public let learningRate: Float
        public let gradientNorm: Double
    }

    /// One update from `microBatches` (their gradients averaged). A non-finite loss throws before
    /// the parameters change.
    @discardableResult
    public func step(_ microBatches: [MaskedLMBatch], device: Int = 0) throws -> StepResult {
        let key = RandomKey(seed: seed, step: step, device: device)
        let loss = try parameters.accumulateGradients(microBatches: microBatches.count) { index, p in
            try model.maskedLM(p, batch: microBatches[index], mode: .training(dropoutKey: key.with(stream: index * model.dropoutSiteCount))).loss
        }
        guard loss.isFinite else { throw TrainingError.nonFiniteLoss(step: step, loss: loss) }
        let report = try optimizer.step(parameters)
        return StepResult(loss: loss, learningRate: report.learningRate, gradientNorm: report.gradientNorm)
    }

    /// Saves the whole state atomically (see `Checkpoint.write`).
    public func save(to path: String, recipe: String, dataPosition: [String: Int64] = [:]) throws {
        let config = String(decoding: try JSONEncoder().encode(model.config), as: UTF8.self)
        try Checkpoint.write(to: path, parameters: parameters, optimizer: optimizer,
                             progress: TrainingProgress(step: step, seed: seed, dataPosition: dataPosition),
                             modelConfig: config, recipe: recipe)
    }
}

public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case nonFiniteLoss(step: Int, loss: Float)

    public var description: String {
        switch self {
        case .nonFiniteLoss(let step, let loss): return "step \(step): the loss is \(loss); stopping before the update (lower the learning rate or check the data)"
        }
    }
}
