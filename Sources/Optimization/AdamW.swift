import Foundation
import Kernels
import Tensor

/// AdamW as optax and PyTorch compute it: decoupled weight decay multiplied by the scheduled
/// learning rate, bias correction on: `p −= lr(t) · (m̂ / (√v̂ + ε) + wd · mask · p)`.
/// Defaults are BERTIN's (β 0.9 / 0.98, ε 1e-6, weight decay 0.01, no clipping).
public struct AdamWConfiguration: Equatable, Sendable {
    /// BERTIN's AdamW (run_mlm_flax.py's settings): the defaults here and of every recipe.
    public enum BERTIN {
        public static let beta1: Float = 0.9
        public static let beta2: Float = 0.98
        public static let epsilon: Float = 1e-6
        public static let weightDecay: Float = 0.01
    }

    public var schedule: LearningRateSchedule
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    /// Scale gradients down to this global L2 norm before the update when it is exceeded
    /// (`optax.clip_by_global_norm`); nil, as in BERTIN, to leave them alone.
    public var clipGlobalNorm: Float?

    public init(schedule: LearningRateSchedule, beta1: Float = BERTIN.beta1, beta2: Float = BERTIN.beta2, epsilon: Float = BERTIN.epsilon,
                weightDecay: Float = BERTIN.weightDecay, clipGlobalNorm: Float? = nil) {
        (self.schedule, self.beta1, self.beta2, self.epsilon, self.weightDecay, self.clipGlobalNorm) =
            (schedule, beta1, beta2, epsilon, weightDecay, clipGlobalNorm)
    }

    public func validate() throws {
        try schedule.validate()
        guard (0..<1).contains(beta1), (0..<1).contains(beta2) else {
            throw OptimizationError.invalidConfiguration("betas must lie in [0, 1), got \(beta1) and \(beta2)")
        }
        guard epsilon >= 0, weightDecay >= 0, (clipGlobalNorm ?? 1) > 0 else {
            throw OptimizationError.invalidConfiguration("epsilon and weight decay must be non-negative and the clipping norm positive")
        }
    }
}

/// Which parameters are weight-decayed, decided per parameter from its store entry (name, shape,
/// role); nil when the entry lacks what the mask needs.
public struct WeightDecayMask: Sendable {
    public let decides: @Sendable (ParameterStore.Entry) -> Bool?

    public init(_ decides: @escaping @Sendable (ParameterStore.Entry) -> Bool?) { self.decides = decides }

    /// BERTIN's RoBERTa mask: everything except biases and LayerNorm scales (embedding tables
    /// included), by the roles the model gave its parameters.
    public static let bertin = WeightDecayMask { entry in entry.role.map { $0 == .weight } }
    /// mesh-transformer-jax's (BERTIN-GPT-J-6B): parameters with more than one dimension.
    public static let matrices = WeightDecayMask { $0.shape.count > 1 }
    public static let all = WeightDecayMask { _ in true }
    /// transformers' Flax example scripts of 2021, which BERTIN's run_mlm_flax_stream.py copied:
    /// no decay for a Flax path ending in `bias` or in `LayerNorm/scale` (our `….LayerNorm.weight`).
    /// RoBERTa's LM head names its norm `layer_norm`, so that scale IS decayed: continuing one of
    /// BERTIN's own Flax runs exactly needs this mask, not `bertin`'s.
    public static let flaxExamples = WeightDecayMask { entry in
        let parts = entry.name.split(separator: ".")
        return !(parts.last == "bias" || Array(parts.suffix(2)) == ["LayerNorm", "weight"])
    }

    /// The masks a recipe can name.
    public enum Name: String, CaseIterable, Sendable {
        /// By role: no decay for biases and LayerNorm scales.
        case bertin
        /// ndim > 1 (mesh-transformer-jax's).
        case matrices
        case all
        /// BERTIN's Flax scripts' literal mask (`flaxExamples`).
        case flaxExamples = "flax-examples"
    }

    public init(_ name: Name) {
        switch name {
        case .bertin: self = .bertin
        case .matrices: self = .matrices
        case .all: self = .all
        case .flaxExamples: self = .flaxExamples
        }
    }
}

/// The optimizer and its state: first and second moments in the parameter store's flat layout
/// (so a checkpoint saves them under the parameters' names) and the update count. A sharded run
/// (ZeRO stage 1 and up) keeps and updates only `ownedRange` of the flat buffer; element i of the
/// moments is then flat position `ownedRange.lowerBound + i`.
public final class AdamW {
    public let configuration: AdamWConfiguration
    public let firstMoment: FloatBuffer
    public let secondMoment: FloatBuffer
    /// The part of the flat buffer this optimizer updates (all of it unless sharded).
    public let ownedRange: Range<Int>
    /// Updates applied so far; the next one uses `schedule(stepCount)` and bias correction for `stepCount + 1`.
    public var stepCount = 0
    /// Per entry of the store: weight-decayed or not (a flag per parameter, not a mask per element).
    let decaying: [Bool]
    let layout: [ParameterStore.Entry]

    /// `ownedRange`: the part of the store's flat buffer to keep moments for and update (default all).
    public init(configuration: AdamWConfiguration, parameters store: ParameterStore, decayMask: WeightDecayMask = .bertin,
                ownedRange: Range<Int>? = nil) throws {
        try configuration.validate()
        let owned = ownedRange ?? 0..<store.bufferCount
        guard owned.lowerBound >= 0, owned.upperBound <= store.bufferCount else {
            throw OptimizationError.invalidConfiguration("owned range \(owned) lies outside the \(store.bufferCount) floats of the parameters")
        }
        self.configuration = configuration
        self.ownedRange = owned
        layout = store.entries
        firstMoment = FloatBuffer(count: owned.count)
        secondMoment = FloatBuffer(count: owned.count)
        decaying = try store.entries.map { entry in
            guard let decays = decayMask.decides(entry) else {
                throw OptimizationError.invalidConfiguration("parameter \(entry.name) has no role (bias, normalisation scale or weight): this weight-decay mask needs the model's roles (TrainableModel.makeParameterStore)")
            }
            return decays
        }
    }

    public struct StepReport: Equatable, Sendable {
        /// The rate this update used, `schedule(step)` before the step (what run_mlm_flax logs).
        public let learningRate: Float
        /// Global L2 norm of the gradients before clipping.
        public let gradientNorm: Double
    }

    /// One update from the gradients in `store.gradients` (which are clipped in place when clipping
    /// is on). A NaN or infinite gradient throws before anything changes. `learningRate` overrides
    /// `schedule(stepCount)` (a trainer whose phases own their schedules passes it). A sharded
    /// optimizer sees valid gradients in `ownedRange` only: `allNormPartials` turns its own blocks'
    /// partial sums of squares (`normPartials`) into every block's, in block order (an all-gather).
    @discardableResult
    public func step(_ store: ParameterStore, learningRate: Float? = nil,
                     allNormPartials: ([Double]) -> [Double] = { $0 }) throws -> StepReport {
        guard store.entries == layout else {
            throw OptimizationError.invalidConfiguration("the parameter store's layout is not the one this optimizer was made for")
        }
        let owned = UnsafeMutableBufferPointer(rebasing: store.gradients[ownedRange])
        let norm = allNormPartials(normPartials(store.gradients, range: ownedRange)).reduce(0, +).squareRoot()
        guard norm.isFinite else { throw OptimizationError.nonFiniteGradient(norm: norm) }
        if let limit = configuration.clipGlobalNorm, norm > Double(limit), owned.count > 0 {
            let scale = Float(Double(limit) / norm)
            Kernels.scale(owned.baseAddress!, by: scale, count: owned.count)
        }
        let rate = learningRate ?? configuration.schedule(stepCount)
        stepCount += 1
        for (index, entry) in layout.enumerated() {
            let lower = max(entry.offset, ownedRange.lowerBound), upper = min(entry.offset + entry.count, ownedRange.upperBound)
            guard lower < upper else { continue }
            let moment = lower - ownedRange.lowerBound
            adamWUpdate(
                parameters: store.values.baseAddress! + lower, firstMoment: firstMoment.values.baseAddress! + moment,
                secondMoment: secondMoment.values.baseAddress! + moment, gradients: store.gradients.baseAddress! + lower,
                step: AdamWStep(learningRate: rate, beta1: configuration.beta1, beta2: configuration.beta2, epsilon: configuration.epsilon,
                                weightDecay: decaying[index] ? configuration.weightDecay : 0, step: stepCount),
                count: upper - lower)
        }
        return StepReport(learningRate: rate, gradientNorm: norm)
    }

    /// Forget the moments and the count (a fresh optimizer, as BERTIN's phase 2 started).
    public func reset() {
        firstMoment.values.update(repeating: 0)
        secondMoment.values.update(repeating: 0)
        stepCount = 0
    }
}
