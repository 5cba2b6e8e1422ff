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

/// Which parameters are weight-decayed, decided per parameter from its name and shape.
public struct WeightDecayMask: Sendable {
    public let decides: @Sendable (_ name: String, _ shape: [Int]) -> Bool

    public init(_ decides: @escaping @Sendable (_ name: String, _ shape: [Int]) -> Bool) { self.decides = decides }

    /// BERTIN's RoBERTa mask: everything except biases and LayerNorm scales (embedding tables included).
    public static let bertin = WeightDecayMask { name, _ in ParameterRole(name: name) == .weight }
    /// mesh-transformer-jax's (BERTIN-GPT-J-6B): parameters with more than one dimension.
    public static let matrices = WeightDecayMask { _, shape in shape.count > 1 }
    public static let all = WeightDecayMask { _, _ in true }

    /// The mask a recipe names: "bertin" (by role) or "matrices" (ndim > 1).
    public static func named(_ name: String) throws -> WeightDecayMask {
        switch name {
        case "bertin": return .bertin
        case "matrices": return .matrices
        case "all": return .all
        default: throw OptimizationError.invalidConfiguration("weight_decay_mask \"\(name)\" is not one of bertin, matrices, all")
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
    private let decaying: [Bool]
    private let layout: [ParameterStore.Entry]

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
        decaying = store.entries.map { decayMask.decides($0.name, $0.shape) }
    }

    /// Whether `name` is weight-decayed.
    public func decays(_ name: String) -> Bool {
        guard let index = layout.firstIndex(where: { $0.name == name }) else { return false }
        return decaying[index]
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
            Kernels.scale(owned.baseAddress!, count: owned.count, by: scale)
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
                decayMask: nil, count: upper - lower,
                AdamWStep(learningRate: rate, beta1: configuration.beta1, beta2: configuration.beta2, epsilon: configuration.epsilon,
                          weightDecay: decaying[index] ? configuration.weightDecay : 0, step: stepCount))
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

/// √Σ g² accumulated in Double, in fixed blocks so the sum does not depend on the thread count.
public func globalNorm(_ values: UnsafeMutableBufferPointer<Float>) -> Double {
    normPartials(values, range: 0..<values.count).reduce(0, +).squareRoot()
}

/// Σ g² of each `ParameterShards.block`-float block of `values` that `range` covers (its bounds
/// are block multiples or the end of `values`), in Double and block order: adding every block's
/// partial in order gives the same bits however the blocks were split among threads or ranks.
public func normPartials(_ values: UnsafeMutableBufferPointer<Float>, range: Range<Int>) -> [Double] {
    let block = ParameterShards.block
    let first = range.lowerBound / block
    let blocks = (range.upperBound - range.lowerBound + block - 1) / block
    var partial = [Double](repeating: 0, count: blocks)
    let base = values.baseAddress!
    partial.withUnsafeMutableBufferPointer { sums in
        parallelFor(blocks) { indices in
            var index = indices.lowerBound
            // Eight full blocks side by side: each keeps its own sum in element order (so the same
            // bits as one block at a time) while the eight chains hide the add latency that bound
            // a single chain (2% of a GPT-J step).
            while index + 8 <= indices.upperBound, (first + index + 8) * block <= range.upperBound {
                let start = base + (first + index) * block
                var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0
                for i in 0..<block {
                    s0 += Double(start[i]) * Double(start[i])
                    s1 += Double(start[block + i]) * Double(start[block + i])
                    s2 += Double(start[2 * block + i]) * Double(start[2 * block + i])
                    s3 += Double(start[3 * block + i]) * Double(start[3 * block + i])
                    s4 += Double(start[4 * block + i]) * Double(start[4 * block + i])
                    s5 += Double(start[5 * block + i]) * Double(start[5 * block + i])
                    s6 += Double(start[6 * block + i]) * Double(start[6 * block + i])
                    s7 += Double(start[7 * block + i]) * Double(start[7 * block + i])
                }
                for (offset, sum) in [s0, s1, s2, s3, s4, s5, s6, s7].enumerated() { sums[index + offset] = sum }
                index += 8
            }
            while index < indices.upperBound {
                var sum = 0.0
                for i in ((first + index) * block)..<min(range.upperBound, (first + index + 1) * block) { sum += Double(base[i]) * Double(base[i]) }
                sums[index] = sum
                index += 1
            }
        }
    }
    return partial
}
