import Foundation

/// One AdamW step over a flat parameter buffer, in optax's form:
/// `m = β1 m + (1−β1) g; v = β2 v + (1−β2) g²; p −= lr · (m̂ / (√v̂ + ε) + wd · p)`,
/// with bias-corrected m̂ = m / (1 − β1^t), v̂ = v / (1 − β2^t). `decay[i]` is 1 where weight
/// decay applies and 0 where it does not (biases, LayerNorm weights); without a mask it applies to
/// every element (callers then pass weight decay 0 for undecayed runs).
public struct AdamWStep: Sendable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    /// 1-based step count after this update (for bias correction).
    public var step: Int

    public init(learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float, step: Int) {
        (self.learningRate, self.beta1, self.beta2, self.epsilon, self.weightDecay, self.step) =
            (learningRate, beta1, beta2, epsilon, weightDecay, step)
    }
}

public func adamWUpdate(
    parameters p: UnsafeMutablePointer<Float>, firstMoment m: UnsafeMutablePointer<Float>,
    secondMoment v: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
    decayMask decay: UnsafePointer<Float>?, count: Int, _ s: AdamWStep
) {
    let correction1 = Float(1 - Foundation.pow(Double(s.beta1), Double(s.step)))
    let correction2 = Float(1 - Foundation.pow(Double(s.beta2), Double(s.step)))
    @inline(__always) func update(_ i: Int, decayFactor: Float) {
        let gi = g[i]
        let mi = s.beta1 * m[i] + (1 - s.beta1) * gi
        let vi = s.beta2 * v[i] + (1 - s.beta2) * gi * gi
        m[i] = mi
        v[i] = vi
        let update = (mi / correction1) / ((vi / correction2).squareRoot() + s.epsilon)
        p[i] -= s.learningRate * (update + s.weightDecay * decayFactor * p[i])
    }
    // The mask test stays out of the per-element loop: the optimizer passes none.
    parallelFor(count, grain: 16_384) { range in
        if let decay {
            for i in range { update(i, decayFactor: decay[i]) }
        } else {
            for i in range { update(i, decayFactor: 1) }
        }
    }
}
