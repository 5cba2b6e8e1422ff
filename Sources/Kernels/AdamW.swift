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

    /// β as the decimal it was written as (its shortest round-trip form: 0.98, not the float's
    /// 0.98000001907…). optax and PyTorch hold β as a double and use 1 − β and 1 − β^t rounded to
    /// float32; taking them from the float instead gave 1 − 0.98 = 0.019999981 where they have
    /// 0.02, a 1e-6 relative difference in every second moment (found continuing BERTIN's optax
    /// state).
    public static func decimal(_ value: Float) -> Double { Double("\(value)") ?? Double(value) }
    public var oneMinusBeta1: Float { Float(1 - Self.decimal(beta1)) }
    public var oneMinusBeta2: Float { Float(1 - Self.decimal(beta2)) }
    /// Bias corrections 1 − β^t.
    public var correction1: Float { Float(1 - Foundation.pow(Self.decimal(beta1), Double(step))) }
    public var correction2: Float { Float(1 - Foundation.pow(Self.decimal(beta2), Double(step))) }
}

public func adamWUpdate(
    parameters p: UnsafeMutablePointer<Float>, firstMoment m: UnsafeMutablePointer<Float>,
    secondMoment v: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, step s: AdamWStep, count: Int
) {
    let (correction1, correction2) = (s.correction1, s.correction2)
    let (oneMinusBeta1Scalar, oneMinusBeta2Scalar) = (s.oneMinusBeta1, s.oneMinusBeta2)
    // The same Float operations in the same order as one element at a time (division and square
    // root are correctly rounded on lanes too), so lanes change no bit; they make the update
    // memory-bound instead of bound by a scalar divide chain (9% of a GPT-J step before).
    @inline(__always) func update(_ i: Int) {
        let gi = g[i]
        let mi = s.beta1 * m[i] + oneMinusBeta1Scalar * gi
        let vi = s.beta2 * v[i] + oneMinusBeta2Scalar * gi * gi
        m[i] = mi
        v[i] = vi
        let update = (mi / correction1) / ((vi / correction2).squareRoot() + s.epsilon)
        p[i] -= s.learningRate * (update + s.weightDecay * p[i])
    }
    let beta1 = Vector(repeating: s.beta1), oneMinusBeta1 = Vector(repeating: oneMinusBeta1Scalar)
    let beta2 = Vector(repeating: s.beta2), oneMinusBeta2 = Vector(repeating: oneMinusBeta2Scalar)
    let c1 = Vector(repeating: correction1), c2 = Vector(repeating: correction2)
    let epsilon = Vector(repeating: s.epsilon), rate = Vector(repeating: s.learningRate)
    @inline(__always) func updateLanes(_ i: Int) {
        let gi = g.vector(at: i)
        let mi = beta1 * m.vector(at: i) + oneMinusBeta1 * gi
        let vi = beta2 * v.vector(at: i) + oneMinusBeta2 * gi * gi
        m.storeVector(mi, at: i)
        v.storeVector(vi, at: i)
        let update = (mi / c1) / ((vi / c2).squareRoot() + epsilon)
        let pi = p.vector(at: i)
        p.storeVector(pi - rate * (update + Vector(repeating: s.weightDecay) * pi), at: i)
    }
    // Weight decay is per call: the optimizer passes 0 for the parameters its mask leaves alone.
    parallelFor(count, grain: parallelGrain) { range in
        var i = range.lowerBound
        while i + vectorWidth <= range.upperBound { updateLanes(i); i += vectorWidth }
        while i < range.upperBound { update(i); i += 1 }
    }
}
