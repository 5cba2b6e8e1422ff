/// Transcendentals on eight lanes at once.

/// e^x on eight lanes: Cephes' expf (range reduction by ln 2 split in two constants, degree-5
/// polynomial, exponent built in the bits), within 2 ulp of the true value on the normal range.
/// Results below ~1e-38 flush to 0; NaN stays NaN, so a NaN loss is never hidden.
@inline(__always)
public func vectorExp(_ input: Vector) -> Vector {
    let x0 = lanesMin(lanesMax(input, Vector(repeating: -87.33654)), Vector(repeating: 88.37626))
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
func exponentiate(output out: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, minus shift: Float, count: Int) -> Float {
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

/// The standard normal CDF Φ(x) = ½·erfc(−x/√2) on eight lanes.
///
/// erfc comes from the Chebyshev fit of Numerical Recipes (§6.2, `erfcc`), whose fractional
/// error is below 1.2e-7 everywhere: unlike 1 + erf(x), it keeps its relative accuracy far into
/// the negative tail, where GELU's value is tiny.
@inline(__always)
public func vectorNormalCDF(_ x: Vector) -> Vector {
    let z = lanesMax(x, -x) * 0.707_106_781_186_547_5
    let t = 1 / (1 + 0.5 * z)
    var p = Vector(repeating: 0.170_872_77)
    p = p * t - 0.822_152_23
    p = p * t + 1.488_515_87
    p = p * t - 1.135_203_98
    p = p * t + 0.278_868_07
    p = p * t - 0.186_288_06
    p = p * t + 0.096_784_18
    p = p * t + 0.374_091_96
    p = p * t + 1.000_023_68
    p = p * t - 1.265_512_23
    let tail = 0.5 * t * vectorExp(p - z * z)  // ½·erfc(|x|/√2) = Φ(−|x|)
    var result = 1 - tail
    result.replace(with: tail, where: x .< 0)
    return result
}

/// Exact GELU, x·Φ(x), on eight lanes.
@inline(__always)
public func vectorGELU(_ x: Vector) -> Vector { x * vectorNormalCDF(x) }

/// d GELU / dx = Φ(x) + x·φ(x), with φ(x) = e^(−x²/2)/√(2π).
@inline(__always)
public func vectorGELUDerivative(_ x: Vector) -> Vector {
    vectorNormalCDF(x) + x * 0.398_942_280_401_432_7 * vectorExp(x * x * -0.5)
}

/// tanh GELU (`gelu_new`), `0.5 x (1 + tanh(u))` with `u = √(2/π)(x + 0.044715 x³)`, on eight
/// lanes. `½(1 + tanh u)` is the logistic `σ(2u) = e/(e + 1)` with `e = e^{2u}` from the lane exp:
/// no cancellation in the negative tail (where `1 + tanh u` is tiny) and no libm call per element.
@inline(__always)
public func vectorGELUTanh(_ x: Vector) -> Vector {
    let e = vectorExp(2 * 0.797_884_560_802_865_4 * (x + 0.044_715 * x * x * x))
    return x * (e / (e + 1))
}

/// d gelu_new / dx = σ + 2 x σ (1 − σ) · √(2/π)(1 + 3·0.044715 x²), with σ = σ(2u) = e/(e + 1)
/// and 1 − σ = 1/(e + 1) (½ sech² u = 2σ(1 − σ), exact in the tails).
@inline(__always)
public func vectorGELUTanhDerivative(_ x: Vector) -> Vector {
    let x2 = x * x
    let e = vectorExp(2 * 0.797_884_560_802_865_4 * (x + 0.044_715 * x2 * x))
    let sigma = e / (e + 1), rest = 1 / (e + 1)
    return sigma + 2 * x * sigma * rest * 0.797_884_560_802_865_4 * (1 + 3 * 0.044_715 * x2)
}
