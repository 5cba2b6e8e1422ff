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
