import Tensor

/// Additive attention masks: 0 where a query may look at a key, the lowest Float where it may
/// not (transformers' `torch.finfo(float32).min`).
public enum AttentionMask {
    /// Padding only, `[B, 1, 1, T]` (bidirectional encoders).
    public static func padding(_ attentionMask: IndexTensor) throws -> Tensor {
        try Tensor.additiveMask(attentionMask: attentionMask)
    }

    /// Causal and padding together, `[B, 1, T, S]` (see `Tensor.causalAdditiveMask`).
    public static func causal(_ attentionMask: IndexTensor, queries: Int) throws -> Tensor {
        try Tensor.causalAdditiveMask(attentionMask: attentionMask, queries: queries)
    }
}
