import Kernels

// Causal self-attention that computes only what a causal mask lets through: the blocked products
// are Kernels' (`causalBlockProducts`, `causalBlockMix`, `causalBlockMixTransposed`, blocks of
// `causalAttentionBlock` queries); the hidden columns inside a block are computed and masked as before.

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
        causalBlockProducts(output: weights.pointer, left: q.pointer, right: k.pointer, pairs: pairs, time: t, width: d)  // S = Q Kᵀ
        causalMaskedSoftmaxForward(scores: weights.pointer, mask: constant.pointer, maskRow: maskRow, visible: visible, scale: scale, rows: pairs * t, stride: t)
        let output = Tensor.uninitialized([b, h, t, d])
        causalBlockMix(output: output.pointer, weights: weights.pointer, values: v.pointer, pairs: pairs, time: t, width: d)  // O = W V
        return Tape.record("causalAttention", output: output, inputs: [query, key, value]) { gradient, needed in
            let dWeights = Tensor.uninitialized([b, h, t, t])
            causalBlockProducts(output: dWeights.pointer, left: gradient.pointer, right: v.pointer, pairs: pairs, time: t, width: d)  // dW = dO Vᵀ
            var dValue: Tensor?
            if needed[2] {
                let result = Tensor.uninitialized([b, h, t, d])
                causalBlockMixTransposed(output: result.pointer, weights: weights.pointer, rows: gradient.pointer, pairs: pairs, time: t, width: d)  // dV = Wᵀ dO
                dValue = result
            }
            causalMaskedSoftmaxBackward(gradient: dWeights.pointer, output: weights.pointer, visible: visible, scale: scale, rows: pairs * t, stride: t)
            var dQuery: Tensor?, dKey: Tensor?
            if needed[0] {
                let result = Tensor.uninitialized([b, h, t, d])
                causalBlockMix(output: result.pointer, weights: dWeights.pointer, values: k.pointer, pairs: pairs, time: t, width: d)  // dQ = dS K
                dQuery = result
            }
            if needed[1] {
                let result = Tensor.uninitialized([b, h, t, d])
                causalBlockMixTransposed(output: result.pointer, weights: dWeights.pointer, rows: q.pointer, pairs: pairs, time: t, width: d)  // dK = dSᵀ Q
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
