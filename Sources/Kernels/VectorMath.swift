/// Transcendentals on eight lanes at once.

/// e^x on eight lanes: Cephes' expf (range reduction by ln 2 split in two constants, degree-5
/// polynomial, exponent built in the bits), within 2 ulp of the true value on the normal range.
/// Results below ~1e-38 flush to 0; NaN stays NaN, so a NaN loss is never hidden.
@inline(__always)
public func vectorExp(_ input: Vector) -> Vector {
    let x0 = pointwiseMin(pointwiseMax(input, Vector(repeating: -87.33654)), Vector(repeating: 88.37626))
    // n = round(x / ln 2) by the 1.5·2²³ trick: adding it leaves the integer in the low mantissa
    // bits (pure lane arithmetic, where Swift's generic rounding and conversion are scalar loops).
    let magic = Vector(repeating: 12_582_912)
    let biased = x0 * 1.442_695_040_9 + magic
    let n = biased - magic
    var x = x0 - n * 0.693_359_375
    x = x - n * -2.121_944_4e-4
    let z = x * x
    var y = Vector(repeating: 1.987_569_15e-4)
    y = y * x + 1.398_199_950_7e-3
    y = y * x + 8.333_451_907_3e-3
    y = y * x + 4.166_579_589_4e-2
    y = y * x + 1.666_666_545_9e-1
    y = y * x + 5.000_000_120_1e-1
    y = y * z + x + 1
    let exponent = (unsafeBitCast(biased, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    var result = y * unsafeBitCast(exponent, to: Vector.self)
    // Below the normal range (masked attention scores, −∞) the answer is 0, not FLT_MIN.
    result.replace(with: 0, where: input .< -87.33654)
    result.replace(with: input, where: input .!= input)
    return result
}

/// e^x over a contiguous run: `out[i] = exp(x[i] − shift)`; returns Σ out (lanes, then the tail).
@inline(__always)
func exponentiate(_ x: UnsafePointer<Float>, minus shift: Float, count: Int, into out: UnsafeMutablePointer<Float>) -> Float {
    let shifts = Vector(repeating: shift)
    var sums = Vector(repeating: 0)
    var i = 0
    while i + vectorWidth <= count {
        let e = vectorExp(x.vector(at: i) - shifts)
        out.storeVector(e, at: i)
        sums += e
        i += vectorWidth
    }
    var total = sums.sum()
    if i < count {
        // The tail goes through the same lanes, padded, so every element sees one formula.
        var lanes = Vector(repeating: -.infinity)
        for lane in 0..<(count - i) { lanes[lane] = x[i + lane] - shift }
        let e = vectorExp(lanes)
        for lane in 0..<(count - i) { out[i + lane] = e[lane]; total += e[lane] }
    }
    return total
}

/// Σ exp(x[i] − shift) without storing the terms.
@inline(__always)
func sumOfExponentials(_ x: UnsafePointer<Float>, minus shift: Float, count: Int) -> Float {
    let shifts = Vector(repeating: shift)
    var sums = Vector(repeating: 0)
    var i = 0
    while i + vectorWidth <= count {
        sums += vectorExp(x.vector(at: i) - shifts)
        i += vectorWidth
    }
    if i < count {
        var lanes = Vector(repeating: -.infinity)
        for lane in 0..<(count - i) { lanes[lane] = x[i + lane] - shift }
        sums += vectorExp(lanes)
    }
    return sums.sum()
}
