import Foundation
import Testing
@testable import Kernels

/// The largest `error(input, output)` of an eight-lane function over a sweep: lanes of eight
/// inputs `spacing` apart, one lane group every `step` from `start` up to `end`.
func worstError(
    from start: Float, below end: Float, step: Float, spacing: Float, _ function: (Vector) -> Vector,
    error: (Float, Float) -> Double
) -> Double {
    var worst = 0.0
    var x = start
    while x < end {
        let lanes = Vector((0..<8).map { x + Float($0) * spacing })
        let result = function(lanes)
        for lane in 0..<8 { worst = max(worst, error(lanes[lane], result[lane])) }
        x += step
    }
    return worst
}

@Suite struct VectorMathTests {
    @Test func expIsWithinTwoUlpOnTheNormalRange() {
        let worst = worstError(from: -87, below: 88, step: 0.0173, spacing: 0.0013, vectorExp) { x, result in
            let truth = Foundation.exp(Double(x))
            return abs(Double(result) - truth) / Double(Float(truth).ulp)
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
    }

    @Test func expEdgeCases() {
        let result = vectorExp(Vector([0, -.infinity, -200, .nan, 1, -1, 89, 1e-8]))
        #expect(result[0] == 1)
        #expect(result[1] == 0)
        #expect(result[2] == 0, "far below the normal range flushes to 0")
        #expect(result[3].isNaN, "NaN is never hidden")
        #expect(abs(result[4] - Float(M_E)) <= Float(M_E).ulp)
        #expect(abs(result[5] - Float(1 / M_E)) <= Float(1 / M_E).ulp)
        #expect(result[6] > 1e38, "saturates at the top of the range instead of returning garbage")
        #expect(result[7] == 1 + 1e-8 || result[7] == 1)
    }
}

@Suite struct VectorGELUTests {
    /// Φ keeps its relative accuracy deep in the negative tail, where 1 + erf(x) cancels. The
    /// bound is the fit's own error plus what rounding the input alone causes: Φ's condition
    /// number x·φ(x)/Φ(x) grows like x² for x ≪ 0, times Float's half-ulp 6e-8, doubled.
    static func allowed(_ x: Float) -> Double { 1e-6 + 1.2e-7 * Double(x * x) }

    @Test func normalCDFIsRelativelyAccurateEverywhere() {
        let worst = worstError(from: -12, below: 8, step: 0.0097, spacing: 0.0011, vectorNormalCDF) { x, result in
            let truth = 0.5 * erfc(-Double(x) / 2.0.squareRoot())
            return abs(Double(result) - truth) / truth / Self.allowed(x)
        }
        #expect(worst <= 1, "worst relative error is \(worst) of the bound")
    }

    @Test func derivativeMatchesDoublePrecision() {
        let worst = worstError(from: -9, below: 9, step: 0.0113, spacing: 0.0013, vectorGELUDerivative) { x, result in
            let v = Double(x)
            let cdf = 0.5 * erfc(-v / 2.0.squareRoot()), slope = v * Foundation.exp(-0.5 * v * v) / (2 * Double.pi).squareRoot()
            // Φ + xφ crosses zero near x = −0.75: the error is judged against the terms' size.
            return abs(Double(result) - (cdf + slope)) / (cdf + abs(slope)) / Self.allowed(x)
        }
        #expect(worst <= 1, "worst error is \(worst) of the bound")
    }
}
