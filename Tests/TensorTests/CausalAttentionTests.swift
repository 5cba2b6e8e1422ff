import Testing
@testable import Tensor

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

    /// Skipped terms are exact zeros, so the attention weights and every product are the full
    /// computation's bit for bit while a product's terms form one OpenBLAS K block (13 and 200
    /// positions). At 512 OpenBLAS sums the keys in blocks whose edges move when zero terms are
    /// skipped: the same terms regrouped, so the difference is rounding, within 4 ulps of the
    /// tensor's largest magnitude.
    @Test(arguments: [(1, 2, 13, 8, 0), (2, 3, 200, 24, 37), (2, 2, 512, 64, 100)])
    func equalsFullAttention(shape: (Int, Int, Int, Int, Int)) throws {
        let (b, h, t, d, padding) = shape
        let skipping = try attention(b, h, t, d, padding: padding, skipping: true)
        let full = try attention(b, h, t, d, padding: padding, skipping: false)
        #expect(skipping.gradients.contains { $0 != 0 } && skipping.output.count == b * h * t * d)
        for (name, a, e) in [("output", skipping.output, full.output), ("gradients", skipping.gradients, full.gradients)] {
            if t <= 256 {
                #expect(zip(a, e).filter { $0.0.bitPattern != $0.1.bitPattern }.isEmpty, "\(name) at T \(t)")
            } else {
                let ulp = e.map(abs).max()!.ulp
                let worst = zip(a, e).map { abs($0.0 - $0.1) }.max()!
                #expect(worst <= 4 * ulp, "\(name) at T \(t): \(worst) against an ulp of \(ulp)")
            }
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
        #expect(skipping.map(\.bitPattern) == full.map(\.bitPattern))
        // Query 0 sees nothing: its output is the mean of all t values, as transformers computes it.
        let values = v.scalars
        for feature in 0..<8 {
            let mean = (0..<t).reduce(0.0) { $0 + Double(values[$1 * 8 + feature]) } / Double(t)
            #expect(abs(Double(skipping[feature]) - mean) < 1e-5, "feature \(feature)")
        }
        #expect(throws: TensorError.self) { try Tensor.causalAttention(query: q, key: k, value: v, mask: Tensor.zeros([1, 1, 1, t]), scale: 1) }
    }
}
