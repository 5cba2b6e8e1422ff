import CBLAS

/// A few milliseconds of `cblas_sgemm` against a Float64 reference, run when a process starts: a
/// core that OpenBLAS (or anyone) picked for this CPU must compute products right before a step
/// trusts it. Shapes have tails in every dimension (no multiple of any kernel's register block), all
/// four transpose combinations, and one with `beta` to check C's update.
public enum GemmSelfCheck {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let core: String
        public let shape: String
        public let wrong: Int
        public let total: Int
        public let worstError: Double
        public let bound: Double

        public var description: String {
            "sgemm \(shape) on OpenBLAS core \(core): \(wrong) of \(total) values outside the error bound"
                + " (worst off by \(worstError), bound \(bound))"
        }
    }

    /// (m, n, k, beta). 130 and 260 cross the smallest K and M blocks of every x86-64 core.
    static let shapes: [(m: Int, n: Int, k: Int, beta: Float)] = [(17, 33, 70, 0), (67, 45, 129, 0.5), (130, 31, 260, 0), (6, 301, 19, 1)]

    /// Nil when every product is within its error bound. `breaking` lists cores (comma-separated)
    /// whose results are perturbed: a test's stand-in for a miscompiled or mis-detected kernel.
    public static func run(breaking: String? = nil) -> Failure? {
        let core = OpenBLASCore.running
        let broken = (breaking ?? "").split(separator: ",").contains { $0.lowercased() == core.lowercased() }
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func uniform() -> Float {  // splitmix64 to [-1, 1)
            seed &+= 0x9E37_79B9_7F4A_7C15
            var z = seed
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Float((z ^ (z >> 31)) >> 40) / Float(1 << 23) - 1
        }
        for (m, n, k, beta) in shapes {
            for (transposeA, transposeB) in [(false, false), (false, true), (true, false), (true, true)] {
                let a = (0..<(m * k)).map { _ in uniform() }, b = (0..<(k * n)).map { _ in uniform() }
                let start = (0..<(m * n)).map { _ in uniform() }
                var c = start
                cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                            Int32(m), Int32(n), Int32(k), 1, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n),
                            beta, &c, Int32(n))
                if broken { c[c.count / 2] += 0.01 }
                // Any summation order of k products is within γ(k+2)·Σ|terms| of the exact sum
                // (Higham, Accuracy and Stability, §3.1), plus rounding of the beta term.
                let gamma = Double(k + 2) * 0x1p-24 / (1 - Double(k + 2) * 0x1p-24)
                var wrong = 0, worst = 0.0, worstBound = 0.0
                for i in 0..<m {
                    for j in 0..<n {
                        var exact = Double(beta) * Double(start[i * n + j]), magnitude = abs(exact)
                        for p in 0..<k {
                            let term = Double(transposeA ? a[p * m + i] : a[i * k + p]) * Double(transposeB ? b[j * k + p] : b[p * n + j])
                            exact += term
                            magnitude += abs(term)
                        }
                        let error = abs(Double(c[i * n + j]) - exact), bound = gamma * magnitude
                        if !(error <= bound) {  // NaN counts as wrong
                            wrong += 1
                            if !(error <= worst) { worst = error; worstBound = bound }
                        }
                    }
                }
                if wrong > 0 {
                    let shape = "\(m)×\(n)×\(k) \(transposeA ? "T" : "N")\(transposeB ? "T" : "N") beta \(beta)"
                    return Failure(core: core, shape: shape, wrong: wrong, total: m * n, worstError: worst, bound: worstBound)
                }
            }
        }
        return nil
    }
}
