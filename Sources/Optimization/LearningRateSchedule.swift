import Foundation

/// The learning rate as a function of the update count (0 for the first update), in optax's
/// conventions: each piece clamps its count to its own length, and `joined` hands every piece the
/// steps since its boundary (`optax.join_schedules`).
public indirect enum LearningRateSchedule: Equatable, Sendable {
    case constant(Float)
    /// `initial → final` linearly over `steps`, then `final` (`optax.linear_schedule`).
    case linear(from: Float, to: Float, steps: Int)
    /// `peak · ((1 − α) · ½(1 + cos(π t / steps)) + α)` with `α = final / peak`, then `final`
    /// (`optax.cosine_decay_schedule`, PyTorch's `CosineAnnealingLR`).
    case cosine(peak: Float, final: Float, steps: Int)
    /// transformers' `get_inverse_sqrt_schedule`: `peak · t / warmup` during warmup, then
    /// `peak / √(t / warmup)` (counted from step 0, not from the end of warmup).
    case inverseSquareRoot(peak: Float, warmupSteps: Int)
    /// `schedules[i]` runs from `boundaries[i − 1]` (0 for the first) and sees `t − boundaries[i − 1]`.
    case joined([LearningRateSchedule], boundaries: [Int])

    /// BERTIN's: linear 0 → peak over `warmupSteps`, then linear peak → 0 at `totalSteps`
    /// (transformers' `run_mlm_flax.py`).
    public static func warmupThenLinearDecay(peak: Float, warmupSteps: Int, totalSteps: Int) -> LearningRateSchedule {
        .joined([.linear(from: 0, to: peak, steps: warmupSteps), .linear(from: peak, to: 0, steps: totalSteps - warmupSteps)],
                boundaries: [warmupSteps])
    }

    /// Linear warmup to `peak`, then a cosine from `peak` to `final` at `totalSteps` (mesh-transformer-jax's
    /// `gpt3_schedule`: `min(t, W)/W · peak − (peak − final)·(1 − cos(π·clip(t − W, 0, A)/A))/2`, A = total − W).
    public static func warmupThenCosineDecay(peak: Float, final: Float, warmupSteps: Int, totalSteps: Int) -> LearningRateSchedule {
        .joined([.linear(from: 0, to: peak, steps: warmupSteps), .cosine(peak: peak, final: final, steps: totalSteps - warmupSteps)],
                boundaries: [warmupSteps])
    }

    /// The learning rate for update number `step` (0-based).
    public func callAsFunction(_ step: Int) -> Float {
        Float(value(at: step))
    }

    func value(at step: Int) -> Double {
        switch self {
        case .constant(let rate):
            return Double(rate)
        case .linear(let from, let to, let steps):
            guard steps > 0 else { return Double(to) }
            let t = Double(min(max(step, 0), steps))
            return Double(from) + (Double(to) - Double(from)) * t / Double(steps)
        case .cosine(let peak, let final, let steps):
            guard steps > 0 else { return Double(final) }
            let t = Double(min(max(step, 0), steps))
            return Double(final) + (Double(peak) - Double(final)) * 0.5 * (1 + cos(Double.pi * t / Double(steps)))
        case .inverseSquareRoot(let peak, let warmup):
            if step < warmup { return Double(peak) * Double(step) / Double(max(1, warmup)) }
            return Double(peak) / (Double(step) / Double(max(1, warmup))).squareRoot()
        case .joined(let schedules, let boundaries):
            let index = boundaries.filter { step >= $0 }.count
            let start = index == 0 ? 0 : boundaries[index - 1]
            return schedules[min(index, schedules.count - 1)].value(at: step - start)
        }
    }

    /// Throws unless the pieces fit together (one more schedule than boundaries, boundaries rising).
    public func validate() throws {
        switch self {
        case .linear(_, _, let steps), .cosine(_, _, let steps):
            if steps < 0 { throw OptimizationError.invalidSchedule("a schedule cannot last \(steps) steps") }
        case .inverseSquareRoot(_, let warmup):
            if warmup < 0 { throw OptimizationError.invalidSchedule("warmup cannot last \(warmup) steps") }
        case .joined(let schedules, let boundaries):
            guard schedules.count == boundaries.count + 1 else {
                throw OptimizationError.invalidSchedule("joining \(schedules.count) schedules needs \(schedules.count - 1) boundaries, got \(boundaries.count)")
            }
            guard zip(boundaries, boundaries.dropFirst()).allSatisfy({ $0 < $1 }), boundaries.allSatisfy({ $0 >= 0 }) else {
                throw OptimizationError.invalidSchedule("boundaries \(boundaries) must be non-negative and rising")
            }
            try schedules.forEach { try $0.validate() }
        case .constant:
            break
        }
    }
}
