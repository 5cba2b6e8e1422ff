import Foundation
import Testing
@testable import Tensor
import Kernels

/// Causal attention that skips the blocks a causal mask hides equals full attention:
/// `softmax(q kᵀ · scale + mask) v` by the composed primitives, values and gradients.
@Suite struct CausalAttentionTests {
    struct Result { let output: [Float]; let gradients: [Float] }

    func attention(_ b: Int, _ h: Int, _ t: Int, _ d: Int, padding: Int, skipping: Bool) throws -> Result {
        let shape = [b, h, t, d]
        let store = try ParameterStore(layout: [("q", shape), ("k", shape), ("v", shape)])
        for (index, name) in ["q", "k", "v"].enumerated() { try store.set(name, to: randomTensor(shape, seed: UInt64(20 + index), scale: 2).scalars) }
        let attended = try IndexTensor(shape: [b, t], indices: (0..<(b * t)).map { $0 >= b * t - padding ? 0 : 1 })  // the last row right-padded
        let mask = try Tensor.causalAdditiveMask(attentionMask: attended, queries: t)
        let upstream = randomTensor(shape, seed: 30)
        let scale = 1 / Float(d).squareRoot()
        var output: [Float] = []
        _ = try store.valueWithGradient { p in
            let (q, k, v) = (try p["q"], try p["k"], try p["v"])
            let context = skipping
                ? try Tensor.causalAttention(query: q, key: k, value: v, mask: mask, scale: scale)
                : try q.matmul(k, transposeB: true).maskedSoftmax(scale: scale, mask: mask).matmul(v)
            output = context.scalars
            return try (context * upstream).sum()
        }
        let count = shape.reduce(1, *)
        return Result(output: output, gradients: (0..<3).flatMap { Array(store.gradients[store.entries[$0].offset..<(store.entries[$0].offset + count)]) })
    }

    /// Both paths against attention in Float64, each value within its own first-order error bound.
    /// Nothing here may be compared bit for bit: the skipping path hands OpenBLAS products of
    /// other shapes, and which K blocks and edge kernels a core uses for a shape is its own (the
    /// full path's bits at T 200 matched under Cooperlake's blocking, not under Prescott's).
    @Test(arguments: [(1, 2, 13, 8, 0), (2, 3, 200, 24, 37), (2, 2, 512, 64, 100)])
    func equalsFullAttention(shape: (Int, Int, Int, Int, Int)) throws {
        let (b, h, t, d, padding) = shape
        let skipping = try attention(b, h, t, d, padding: padding, skipping: true)
        let full = try attention(b, h, t, d, padding: padding, skipping: false)
        #expect(skipping.gradients.contains { $0 != 0 } && skipping.output.count == b * h * t * d)
        let reference = AttentionReference(b, h, t, d, padding: padding,
                                           q: randomTensor([b, h, t, d], seed: 20, scale: 2).scalars, k: randomTensor([b, h, t, d], seed: 21, scale: 2).scalars,
                                           v: randomTensor([b, h, t, d], seed: 22, scale: 2).scalars, upstream: randomTensor([b, h, t, d], seed: 30).scalars,
                                           scale: 1 / Double(d).squareRoot())
        for (path, result) in [("skipping", skipping), ("full", full)] {
            let output = FloatDifferences(actual: result.output, expected: reference.output.map(Float.init)) { reference.outputBound[$0] + reference.rounding(reference.output[$0]) }
            #expect(output.isEmpty, "\(path) output at T \(t): \(output)")
            let gradients = FloatDifferences(actual: result.gradients, expected: reference.gradients.map(Float.init)) { reference.gradientBound[$0] + reference.rounding(reference.gradients[$0]) }
            #expect(gradients.isEmpty, "\(path) gradients at T \(t): \(gradients)")
        }
    }

    /// Left padding leaves the first query seeing no key: such a mask takes the full computation
    /// (the row spreads its weight over every key), the composed primitives' bits. A mask of the
    /// wrong shape is refused.
    @Test func leftPaddingTakesTheFullComputation() throws {
        let t = 100  // two blocks: a skipping pass would spread the first row over 64 keys only
        let attended = try IndexTensor(shape: [1, t], indices: (0..<t).map { $0 == 0 ? 0 : 1 })
        let mask = try Tensor.causalAdditiveMask(attentionMask: attended, queries: t)
        let (q, k, v) = (randomTensor([1, 2, t, 8], seed: 1), randomTensor([1, 2, t, 8], seed: 2), randomTensor([1, 2, t, 8], seed: 3))
        #expect(!Tensor.seesKeyZero(mask))
        let skipping = try Tensor.causalAttention(query: q, key: k, value: v, mask: mask, scale: 0.5).scalars
        let full = try q.matmul(k, transposeB: true).maskedSoftmax(scale: 0.5, mask: mask).matmul(v).scalars
        let differences = FloatDifferences(actual: skipping, expected: full)
        #expect(differences.isEmpty, "\(differences)")
        // Query 0 sees nothing: its output is the mean of all t values, as transformers computes it.
        let values = v.scalars
        for feature in 0..<8 {
            let mean = (0..<t).reduce(0.0) { $0 + Double(values[$1 * 8 + feature]) } / Double(t)
            #expect(abs(Double(skipping[feature]) - mean) < 1e-5, "feature \(feature)")
        }
        #expect(throws: TensorError.self) { try Tensor.causalAttention(query: q, key: k, value: v, mask: Tensor.zeros([1, 1, 1, t]), scale: 1) }
    }
}

/// Attention and its gradients in Float64, with a first-order bound on the error of any Float32
/// evaluation that sums in any order (Higham, Accuracy and Stability, §3.1: a sum of n products is
/// within γ(n)·Σ|terms|), carried through each stage:
/// - scores S = scale·q·kᵀ: e(S) = γ(d)·scale·Σ|q||k|;
/// - softmax P (exp within 2 ulps, a sum of t terms): e(P_ij) = P_ij·(e(S_ij) + max_l e(S_il) + (t + 8)u);
/// - O = P v, dV = Pᵀ dO: Σ (e(P)|x| + γ(t)·P|x|);
/// - dP = dO vᵀ: γ(d)·Σ|dO||v|; r_i = Σ_l P_il dP_il; dS = P(dP − r): e(P)|dP − r| + P(e(dP) + e(r)) + 2u|dS|;
/// - dQ = scale·dS k, dK = scale·dSᵀ q: scale·Σ (e(dS)|x| + γ(t)|dS||x|).
/// Masked keys have P = 0 exactly on both paths (exp of −3.4e38 underflows).
struct AttentionReference {
    var output: [Double] = [], outputBound: [Double] = []
    /// dQ, dK, dV in that order, as the tests' parameter store lays them out.
    var gradients: [Double] = [], gradientBound: [Double] = []

    /// The expected values are compared as Floats: their own rounding is added to the bound.
    func rounding(_ x: Double) -> Double { abs(Double(Float(x)) - x) }

    init(_ b: Int, _ h: Int, _ t: Int, _ d: Int, padding: Int, q: [Float], k: [Float], v: [Float], upstream: [Float], scale: Double) {
        let u = 0x1p-24
        func gamma(_ n: Int) -> Double { Double(n) * u / (1 - Double(n) * u) }
        let count = b * h * t * d
        output = .init(repeating: 0, count: count); outputBound = output
        var dq = output, dk = output, dv = output, eq = output, ek = output, ev = output
        for batch in 0..<b {
            let visible = { (i: Int, j: Int) in j <= i && !(batch == b - 1 && j >= t - padding) }
            for head in 0..<h {
                let base = (batch * h + head) * t * d
                func at(_ x: [Float], _ row: Int, _ column: Int) -> Double { Double(x[base + row * d + column]) }
                var p = [Double](repeating: 0, count: t * t), ep = p, dp = p, edp = p, ds = p, eds = p
                for i in 0..<t {
                    var scores = [Double](repeating: -.infinity, count: t), errors = [Double](repeating: 0, count: t)
                    for j in 0..<t where visible(i, j) {
                        var sum = 0.0, magnitude = 0.0
                        for c in 0..<d { sum += at(q, i, c) * at(k, j, c); magnitude += abs(at(q, i, c) * at(k, j, c)) }
                        scores[j] = scale * sum
                        errors[j] = gamma(d + 1) * scale * magnitude
                    }
                    let maximum = scores.max()!, total = scores.reduce(0) { $0 + Foundation.exp($1 - maximum) }
                    let worstScore = errors.max()!
                    for j in 0..<t where visible(i, j) {
                        p[i * t + j] = Foundation.exp(scores[j] - maximum) / total
                        ep[i * t + j] = p[i * t + j] * (errors[j] + worstScore + Double(t + 8) * u)
                    }
                    for j in 0..<t {
                        var sum = 0.0, magnitude = 0.0
                        for c in 0..<d { sum += at(upstream, i, c) * at(v, j, c); magnitude += abs(at(upstream, i, c) * at(v, j, c)) }
                        dp[i * t + j] = sum
                        edp[i * t + j] = gamma(d) * magnitude
                    }
                    var r = 0.0, er = 0.0, rMagnitude = 0.0
                    for j in 0..<t {
                        r += p[i * t + j] * dp[i * t + j]
                        er += ep[i * t + j] * abs(dp[i * t + j]) + p[i * t + j] * edp[i * t + j]
                        rMagnitude += p[i * t + j] * abs(dp[i * t + j])
                    }
                    er += gamma(t) * rMagnitude
                    for j in 0..<t {
                        let centred = dp[i * t + j] - r
                        ds[i * t + j] = p[i * t + j] * centred
                        eds[i * t + j] = ep[i * t + j] * abs(centred) + p[i * t + j] * (edp[i * t + j] + er) + 2 * u * abs(ds[i * t + j])
                    }
                }
                for i in 0..<t {
                    for c in 0..<d {
                        let index = base + i * d + c
                        for j in 0..<t {
                            let (pij, eij) = (p[i * t + j], ep[i * t + j])
                            output[index] += pij * at(v, j, c)
                            outputBound[index] += eij * abs(at(v, j, c)) + gamma(t) * pij * abs(at(v, j, c))
                            dv[index] += p[j * t + i] * at(upstream, j, c)
                            ev[index] += ep[j * t + i] * abs(at(upstream, j, c)) + gamma(t) * p[j * t + i] * abs(at(upstream, j, c))
                            dq[index] += scale * ds[i * t + j] * at(k, j, c)
                            eq[index] += scale * (eds[i * t + j] * abs(at(k, j, c)) + gamma(t + 1) * abs(ds[i * t + j] * at(k, j, c)))
                            dk[index] += scale * ds[j * t + i] * at(q, j, c)
                            ek[index] += scale * (eds[j * t + i] * abs(at(q, j, c)) + gamma(t + 1) * abs(ds[j * t + i] * at(q, j, c)))
                        }
                    }
                }
            }
        }
        gradients = dq + dk + dv
        gradientBound = eq + ek + ev
    }
}
