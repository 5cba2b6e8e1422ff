import Checkpointing
import Distributed
import Foundation
import Kernels
import Models
import Objectives
import Optimization
import Tensor

/// Training state on one MPI rank for any objective and model: the parameters, the optimizer and
/// the run's seed, for the devices this rank owns. One `step` reproduces the pmap of transformers'
/// run_mlm_flax.py, with which BERTIN was trained on a TPUv3-8's 8 devices:
/// each device computes the mean loss over its own labelled tokens with its own dropout key (seed,
/// step, global device index); gradients are averaged over all devices of the job (the mean of
/// per-device means, over micro-batches too); every rank applies the same update. Resuming from a
/// checkpoint draws the same masks as never stopping.
///
/// With `sharding` (ZeRO, see `Sharding`) each rank keeps the moments (and from stage 2 the reduced
/// gradients) of its own range of the flat buffer only, updates that range and all-gathers the
/// updated parameters: the same bits as the replicated run at every stage and rank count.
public final class Trainer<Objective: TrainingObjective> {
    public let objective: Objective
    public var model: any TrainableModel { objective.model }
    public let parameters: ParameterStore
    public let optimizer: AdamW
    public internal(set) var seed: UInt64
    public let layout: DeviceLayout
    let reducer: GradientReducer
    public let sharding: Sharding
    /// Blocks are recomputed in backward instead of keeping their activations.
    public var recompute = false
    /// Every rank's range of the flat buffer when sharded over more than one rank; nil otherwise.
    public let shards: ParameterShards?
    /// ZeRO-3: the parameters other ranks own, gathered per block for each pass over it.
    public let gathered: GatheredParameters?
    /// Updates done so far (across phases: the training step).
    public var step: Int
    /// Where a stop request comes from and where the current step is reported.
    public let control: RunControl

    /// A fresh run: parameters initialised from `seed`. With a `runtime`, gradients are averaged over MPI.
    public init(objective: Objective, optimizer configuration: AdamWConfiguration, decayMask: WeightDecayMask = .bertin, seed: UInt64,
                layout: DeviceLayout = .single, runtime: MPIRuntime? = nil, sharding: Sharding = .replicated,
                control: RunControl = .isolated) throws {
        self.objective = objective
        self.control = control
        let store = try objective.model.makeParameterStore()
        let ranks = runtime?.size ?? 1
        let shards = sharding.isSharded && ranks > 1 ? ParameterShards(count: store.bufferCount, ranks: ranks) : nil
        gathered = sharding == .parameters ? shards.map { GatheredParameters(store: store, shards: $0, runtime: runtime!) } : nil
        gathered?.lookahead = objective.model.tensorsPerBlock
        try objective.model.initialize(store, seed: seed)
        gathered?.dropForeignValues()
        parameters = store
        optimizer = try AdamW(configuration: configuration, parameters: store, decayMask: decayMask, ownedRange: shards?.ranges[runtime!.rank])
        self.seed = seed
        self.layout = layout
        self.sharding = sharding
        self.shards = shards
        reducer = GradientReducer(store: store, runtime: runtime, devices: layout.devices, shards: shards, releasesGradients: sharding != .optimizer)
        step = 0
    }

    /// A run continued from `checkpoint`: parameters, moments, step and seed as saved.
    public convenience init(resumingFrom checkpoint: String, objective: Objective, optimizer configuration: AdamWConfiguration,
                            decayMask: WeightDecayMask = .bertin, layout: DeviceLayout = .single, runtime: MPIRuntime? = nil) throws {
        try self.init(objective: objective, optimizer: configuration, decayMask: decayMask, seed: 0, layout: layout, runtime: runtime)
        try load(checkpoint)
    }

    /// Reads parameters, optimizer state, step and seed from `checkpoint`; returns what it holds
    /// besides tensors. On failure the state may be partly overwritten: load another checkpoint
    /// (every value is read again) or stop.
    @discardableResult
    public func load(_ checkpoint: String) throws -> CheckpointContents {
        let contents = try Checkpoint.read(from: checkpoint, into: parameters, optimizer: optimizer, parameterRange: gathered?.owned)
        step = contents.progress.step
        seed = contents.progress.seed
        return contents
    }

    /// One update. `deviceBatches[d][m]` is micro-batch m of this rank's d-th device. A non-finite
    /// loss on any device throws on every rank before the parameters change.
    @discardableResult
    public func step(_ deviceBatches: [[Objective.Batch]], learningRate: Float? = nil) throws -> StepResult {
        guard deviceBatches.count == layout.devicesPerRank, let micro = deviceBatches.first?.count, micro > 0,
              deviceBatches.allSatisfy({ $0.count == micro }) else {
            throw TrainingError.invalidLayout("expected \(layout.devicesPerRank) devices with the same number of micro-batches each")
        }
        parameters.zeroGradients(releasingMemory: shards != nil && sharding != .optimizer)
        reducer.reset()
        var lossSum = 0.0, correct = 0, labelled = 0
        for (local, batches) in deviceBatches.enumerated() {
            let key = RandomKey(seed: seed, step: step, device: layout.localDevices.lowerBound + local)
            for (index, batch) in batches.enumerated() {
                // Only the rank's last backward completes the gradients: it alone starts communication.
                let isLast = local == deviceBatches.count - 1 && index == micro - 1
                var output: ObjectiveOutput?
                let dropoutKey = key.with(stream: RandomStream.dropoutBase + index * model.dropoutSiteCount)
                let loss = try parameters.valueWithGradient(gradientReady: isLast ? { [reducer] in reducer.parameterReady($0) } : nil, recompute: recompute,
                                                            residency: gathered) { p in
                    output = try objective.loss(p, batch: batch, mode: .training(dropoutKey: dropoutKey))
                    return output!.loss
                }
                lossSum += Double(loss) / Double(micro)
                correct += output!.correctCount
                labelled += output!.labelledCount
            }
            if local < deviceBatches.count - 1 { reducer.deviceFinished() }
        }
        reducer.finish(divisor: layout.devices * micro)
        // The step's one metric sum also carries whether any rank got a stop signal, so every rank
        // learns it at the same step.
        control.describe("step \(step)")
        let local = [lossSum, Double(correct), Double(labelled), control.stopRequested() ? 1 : 0]
        let totals = reducer.runtime?.sum(local, what: "the loss and metric sum of step \(step)") ?? local
        let loss = Float(totals[0] / Double(layout.devices))
        guard loss.isFinite else { throw TrainingError.nonFiniteLoss(step: step, loss: loss) }
        let report: AdamW.StepReport
        do {
            if let shards, let runtime = reducer.runtime {
                gathered?.releaseAll()
                report = try optimizer.step(parameters, learningRate: learningRate) { runtime.allGather($0, what: "the gradient norm's partial sums of step \(step)") }
                // Stages 1-2 hold every parameter: each rank's updated range goes to all. Stage 3 keeps its own.
                if gathered == nil { runtime.allGather(parameters.values.baseAddress!, shards: shards, what: "the updated parameters of step \(step)") }
            } else {
                report = try optimizer.step(parameters, learningRate: learningRate)
            }
        } catch OptimizationError.nonFiniteGradient(let norm) {
            throw TrainingError.nonFiniteGradient(step: step, norm: norm)
        }
        step += 1
        return StepResult(loss: loss, accuracy: totals[1] / max(totals[2], 1), labelledTokens: Int(totals[2]),
                          learningRate: report.learningRate, gradientNorm: report.gradientNorm,
                          communicationWaitSeconds: reducer.lastWaitSeconds, stopRequested: totals[3] > 0)
    }

    /// Evaluates `body` on the current parameters without recording (gathering sharded ones as read).
    /// Every rank must make the same calls when parameters are sharded.
    public func evaluate<Result>(_ body: (Parameters) throws -> Result) throws -> Result {
        defer { gathered?.releaseAll() }
        return try parameters.value(residency: gathered, body)
    }

    /// Loads `checkpoint`'s parameters (and, with `optimizerState`, its moments and count) without
    /// its progress: a phase that starts from another run's weights.
    public func loadWeights(from checkpoint: String, optimizerState: Bool) throws {
        _ = try Checkpoint.read(from: checkpoint, into: parameters, optimizer: optimizerState ? optimizer : nil,
                                parameterRange: gathered?.owned)
    }

    /// Saves the whole state atomically (see `Checkpoint.write`). Call on one rank only, in a
    /// replicated run (`checkpoint` is the call for any sharding).
    public func save(to path: String, recipe: String, dataPosition: [String: Int64] = [:]) throws {
        guard shards == nil else { throw TrainingError.invalidLayout("a sharded run checkpoints with checkpoint(to:), on every rank") }
        let config = try model.checkpointConfig()
        try Checkpoint.write(to: path, parameters: parameters, optimizer: optimizer,
                             progress: TrainingProgress(step: step, seed: seed, dataPosition: dataPosition),
                             modelConfig: config, recipe: recipe)
    }
}

/// What one update did, summed over the whole job.
public struct StepResult: Equatable, Sendable {
    /// Mean over devices of each device's mean token loss (pmean of the loss).
    public let loss: Float
    /// Correct predictions over labelled tokens, whole job (the objective's accuracy).
    public let accuracy: Double
    public let labelledTokens: Int
    public let learningRate: Float
    public let gradientNorm: Double
    /// Seconds blocked waiting for gradient allreduces after backward (0 without MPI).
    public let communicationWaitSeconds: Double
    /// Some rank received a stop signal (`StopSignal`) before this step's metric sum.
    public var stopRequested = false
}

public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case nonFiniteLoss(step: Int, loss: Float)
    case nonFiniteGradient(step: Int, norm: Double)
    case invalidLayout(String)
    case invalidRecipe(String)

    public var description: String {
        switch self {
        case .nonFiniteLoss(let step, let loss): return "step \(step): the loss is \(loss); stopped before the update, the last checkpoint is intact (lower the learning rate or check the data)"
        case .nonFiniteGradient(let step, let norm): return "step \(step): the gradient's global norm is \(norm); stopped before the update, the last checkpoint is intact (lower the learning rate or check the data)"
        case .invalidLayout(let reason): return "invalid device layout: \(reason)"
        case .invalidRecipe(let reason): return "invalid recipe: \(reason)"
        }
    }
}
