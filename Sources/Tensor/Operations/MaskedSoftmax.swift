import Kernels

/// Attention weights in one primitive: `softmax(scores · scale + mask)` over the last axis.
extension Tensor {
    /// `scores` `[B, H, T, S]`, `mask` additive `[B, 1, T, S]` (causal and padding) or `[B, 1, 1, S]`
    /// (padding only), a constant: no gradient flows to it. The same bits as
    /// `scaled(by: scale).addingMask(mask).softmax()`, forward and backward, in one pass over the
    /// scores each way instead of three (no intermediate score-sized tensors written and reread).
    public func maskedSoftmax(scale: Float, mask: Tensor) throws -> Tensor {
        guard rank == 4, mask.rank == 4, mask.shape[0] == shape[0], mask.shape[1] == 1,
              mask.shape[2] == 1 || mask.shape[2] == shape[2], mask.shape[3] == shape[3] else {
            throw TensorError.shapeMismatch(
                operation: "maskedSoftmax", shapes: [shape, mask.shape],
                reason: "scores must be [B, H, T, S] and the mask [B, 1, T, S] or [B, 1, 1, S]")
        }
        let (heads, queries, columns, maskQueries) = (shape[1], shape[2], shape[3], mask.shape[2])
        let rows = scalarCount / Swift.max(1, columns)
        let output = Tensor.uninitialized(shape)
        let constant = mask.detached
        maskedSoftmaxForward(output: output.pointer, input: pointer, mask: constant.pointer, maskRow: { row in  // row = (b·H + h)·T + t → mask row b·Tₘ + (t when Tₘ = T)
                                 (row / (heads * queries)) * maskQueries + (maskQueries == 1 ? 0 : row % queries)
                             }, scale: scale, rows: rows, columns: columns)
        return Tape.record("maskedSoftmax", output: output, inputs: [self]) { gradient, _ in
            let result = Tensor.uninitialized(output.shape)
            maskedSoftmaxBackward(dinput: result.pointer, output: output.pointer, doutput: gradient.pointer, scale: scale,
                                  rows: rows, columns: columns)
            return [result]
        }
    }
}
