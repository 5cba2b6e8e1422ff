import Foundation
import Testing
@testable import Kernels

@Suite struct VectorMathTests {
    @Test func expIsWithinTwoUlpOnTheNormalRange() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let lanes = Vector((0..<8).map { x + Float($0) * 0.0013 })
            let result = vectorExp(lanes)
            for lane in 0..<8 {
                let truth = Foundation.exp(Double(lanes[lane]))
                let ulp = Double(Float(truth).ulp)
                worst = max(worst, Float(abs(Double(result[lane]) - truth) / ulp))
            }
            x += 0.0173
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
        var worst = 0.0
        var x: Float = -12
        while x < 8 {
            let lanes = Vector((0..<8).map { x + Float($0) * 0.0011 })
            let result = vectorNormalCDF(lanes)
            for lane in 0..<8 {
                let truth = 0.5 * erfc(-Double(lanes[lane]) / 2.0.squareRoot())
                worst = max(worst, abs(Double(result[lane]) - truth) / truth / Self.allowed(lanes[lane]))
            }
            x += 0.0097
        }
        #expect(worst <= 1, "worst relative error is \(worst) of the bound")
    }

    @Test func derivativeMatchesDoublePrecision() {
        var worst = 0.0
        var x: Float = -9
        while x < 9 {
            let lanes = Vector((0..<8).map { x + Float($0) * 0.0013 })
            let result = vectorGELUDerivative(lanes)
            for lane in 0..<8 {
                let v = Double(lanes[lane])
                let cdf = 0.5 * erfc(-v / 2.0.squareRoot()), slope = v * Foundation.exp(-0.5 * v * v) / (2 * Double.pi).squareRoot()
                // Φ + xφ crosses zero near x = −0.75: the error is judged against the terms' size.
                worst = max(worst, abs(Double(result[lane]) - (cdf + slope)) / (cdf + abs(slope)) / Self.allowed(lanes[lane]))
            }
            x += 0.0113
        }
        #expect(worst <= 1, "worst error is \(worst) of the bound")
    }
}
