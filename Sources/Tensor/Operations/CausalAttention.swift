import Kernels

/// Causal self-attention that computes only what a causal mask lets through.
///
/// Queries are cut into blocks of `causalAttentionBlock` rows; block i's queries see keys up to
/// the block's end, so its scores, softmax and products stop there: about 44% of the attention
/// products of a 512-token row are skipped, forward and backward, as is the softmax over the
/// hidden half. The hidden columns inside a block are computed and masked as before.
public let causalAttentionBlock = 64

extension Tensor {
    /// `softmax(q kᵀ · scale + mask) v` for `query`, `key`, `value` `[B, H, T, D]` over the same T
    /// positions, `mask` additive `[B, 1, T, T]` hiding every key after its query (as
    /// `causalAdditiveMask` makes it; entries after a query's block are not read) and padding.
    /// Returns `[B, H, T, D]`. When some query does not see key 0 (left padding), the blocks are
    /// not skipped: a row that sees nothing spreads its weight over all T keys, hidden ones
    /// included, as transformers does, so that mask takes the full computation.
    ///
    /// The attention weights are the full computation's bit for bit; the products skip terms that
    /// are exactly zero, which can regroup OpenBLAS's partial sums of the remaining ones.
    public static func causalAttention(query: Tensor, key: Tensor, value: Tensor, mask: Tensor, scale: Float) throws -> Tensor {
        let (b, h, t, d) = (query.shape.first ?? 0, query.rank == 4 ? query.shape[1] : 0, query.rank == 4 ? query.shape[2] : 0, query.shape.last ?? 0)
        guard query.rank == 4, key.shape == query.shape, value.shape == query.shape, mask.shape == [b, 1, t, t] else {
            throw TensorError.shapeMismatch(operation: "causalAttention", shapes: [query.shape, key.shape, value.shape, mask.shape],
                                            reason: "query, key and value must be one [B, H, T, D] shape and the mask [B, 1, T, T]")
        }
        guard seesKeyZero(mask) else {  // left padding: a row that sees nothing needs every column
            return try query.matmul(key, transposeB: true).maskedSoftmax(scale: scale, mask: mask).matmul(value)
        }
        let (q, k, v, constant) = (query.detached, key.detached, value.detached, mask.detached)
        let pairs = b * h, block = causalAttentionBlock
        // Row r of the scores is query r mod T of pair r / T; it sees keys up to its block's end.
        let visible = { (row: Int) -> Int in Swift.min(t, (row % t / block + 1) * block) }
        let maskRow = { (row: Int) -> Int in (row / (h * t)) * t + row % t }
        let weights = Tensor.uninitialized([b, h, t, t])  // only each block's visible columns are written
        for pair in 0..<pairs {
            forEachBlock(t) { r0, r1 in  // S[r0..<r1, ..<r1] = Q[r0..<r1] K[..<r1]ᵀ
                gemm(transposeA: false, transposeB: true, m: r1 - r0, n: r1, k: d, a: q.pointer + (pair * t + r0) * d, lda: d,
                     b: k.pointer + pair * t * d, ldb: d, beta: 0, c: weights.pointer + (pair * t + r0) * t, ldc: t)
            }
        }
        causalMaskedSoftmaxForward(scores: weights.pointer, scale: scale, mask: constant.pointer, maskRow: maskRow, visible: visible,
                                   rows: pairs * t, stride: t)
        let output = Tensor.uninitialized([b, h, t, d])
        for pair in 0..<pairs {
            forEachBlock(t) { r0, r1 in  // O[r0..<r1] = W[r0..<r1, ..<r1] V[..<r1]
                gemm(transposeA: false, transposeB: false, m: r1 - r0, n: d, k: r1, a: weights.pointer + (pair * t + r0) * t, lda: t,
                     b: v.pointer + pair * t * d, ldb: d, beta: 0, c: output.pointer + (pair * t + r0) * d, ldc: d)
            }
        }
        return Tape.record("causalAttention", output: output, inputs: [query, key, value]) { gradient, needed in
            let dWeights = Tensor.uninitialized([b, h, t, t])
            for pair in 0..<pairs {
                forEachBlock(t) { r0, r1 in  // dW[r0..<r1, ..<r1] = dO[r0..<r1] V[..<r1]ᵀ
                    gemm(transposeA: false, transposeB: true, m: r1 - r0, n: r1, k: d, a: gradient.pointer + (pair * t + r0) * d, lda: d,
                         b: v.pointer + pair * t * d, ldb: d, beta: 0, c: dWeights.pointer + (pair * t + r0) * t, ldc: t)
                }
            }
            var dValue: Tensor?
            if needed[2] {
                let result = Tensor.uninitialized([b, h, t, d])
                for pair in 0..<pairs {
                    forEachBlock(t) { c0, c1 in  // dV[c0..<c1] = W[c0..., c0..<c1]ᵀ dO[c0...]: earlier queries do not see these keys
                        gemm(transposeA: true, transposeB: false, m: c1 - c0, n: d, k: t - c0, a: weights.pointer + (pair * t + c0) * t + c0, lda: t,
                             b: gradient.pointer + (pair * t + c0) * d, ldb: d, beta: 0, c: result.pointer + (pair * t + c0) * d, ldc: d)
                    }
                }
                dValue = result
            }
            causalMaskedSoftmaxBackward(gradient: dWeights.pointer, output: weights.pointer, scale: scale, visible: visible, rows: pairs * t, stride: t)
            var dQuery: Tensor?, dKey: Tensor?
            if needed[0] {
                let result = Tensor.uninitialized([b, h, t, d])
                for pair in 0..<pairs {
                    forEachBlock(t) { r0, r1 in  // dQ[r0..<r1] = dS[r0..<r1, ..<r1] K[..<r1]
                        gemm(transposeA: false, transposeB: false, m: r1 - r0, n: d, k: r1, a: dWeights.pointer + (pair * t + r0) * t, lda: t,
                             b: k.pointer + pair * t * d, ldb: d, beta: 0, c: result.pointer + (pair * t + r0) * d, ldc: d)
                    }
                }
                dQuery = result
            }
            if needed[1] {
                let result = Tensor.uninitialized([b, h, t, d])
                for pair in 0..<pairs {
                    forEachBlock(t) { c0, c1 in  // dK[c0..<c1] = dS[c0..., c0..<c1]ᵀ Q[c0...]
                        gemm(transposeA: true, transposeB: false, m: c1 - c0, n: d, k: t - c0, a: dWeights.pointer + (pair * t + c0) * t + c0, lda: t,
                             b: q.pointer + (pair * t + c0) * d, ldb: d, beta: 0, c: result.pointer + (pair * t + c0) * d, ldc: d)
                    }
                }
                dKey = result
            }
            _ = constant  // the mask stays alive with the tape
            return [dQuery, dKey, dValue]
        }
    }

    /// Whether every query of a `[B, 1, T, S]` additive mask sees key 0 (it is not padding): then
    /// no row of a causal mask is hidden entirely. transformers pads GPT-J rows on the right.
    static func seesKeyZero(_ mask: Tensor) -> Bool {
        guard mask.rank == 4, mask.shape[1] == 1 else { return false }
        let (b, t, s) = (mask.shape[0], mask.shape[2], mask.shape[3])
        return (0..<(b * t)).allSatisfy { mask.pointer[$0 * s] == 0 }
    }
}

/// Calls `body(start, end)` for consecutive blocks of `causalAttentionBlock` positions of `0..<count`.
@inline(__always)
private func forEachBlock(_ count: Int, _ body: (Int, Int) -> Void) {
    var start = 0
    while start < count {
        body(start, Swift.min(count, start + causalAttentionBlock))
        start += causalAttentionBlock
    }
}
