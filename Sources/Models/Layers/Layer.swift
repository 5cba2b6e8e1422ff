import Kernels
import Tensor

/// The layers every family builds from, reading their weights from `Parameters` by transformers
/// name (`<name>.weight`, `<name>.bias`).
enum Layer {
    /// `x Wᵀ + b` with `W` `[out, in]` as nn.Linear stores it; `bias: false` for GPT-J's projections.
    static func linear(_ x: Tensor, _ p: Parameters, _ name: String, bias: Bool = true) throws -> Tensor {
        let product = try x.matmul(try p[name + ".weight"], transposeB: true)
        return bias ? try product + (try p[name + ".bias"]) : product
    }

    static func layerNorm(_ x: Tensor, _ p: Parameters, _ name: String, epsilon: Float) throws -> Tensor {
        try x.layerNorm(weight: try p[name + ".weight"], bias: try p[name + ".bias"], epsilon: epsilon)
    }

    /// Dropout site `site` draws its mask from stream `key.stream + site`: the key's own stream is
    /// a base, so callers can give each micro-batch of a step its own block of streams.
    static func dropout(_ x: Tensor, probability: Float, site: Int, mode: ForwardMode) throws -> Tensor {
        guard case .training(let key) = mode, probability > 0 else { return x }
        return try x.dropout(probability: probability, key: key.with(stream: Int(key.stream) + site))
    }

    /// `[B, T, C]` → `[B, H, T, D]`.
    static func splitHeads(_ x: Tensor, heads: Int) throws -> Tensor {
        let (b, t, c) = (x.shape[0], x.shape[1], x.shape[2])
        return try x.reshaped([b, t, heads, c / heads]).transposed(1, 2)
    }

    /// Scaled dot-product attention: `softmax(q kᵀ / √D + mask) v` with dropout on the weights.
    /// `query` `[B, H, T, D]`, `key`/`value` `[B, H, S, D]`, `mask` additive, `[B, 1, T, S]`
    /// (causal and padding) or `[B, 1, 1, S]` (padding). Returns `[B, T, H·D]`.
    /// `causal`: the mask hides every key after its query (`causalAdditiveMask` over these
    /// positions); the blocks it hides entirely are then skipped (`Tensor.causalAttention`) unless
    /// dropout acts on the weights.
    static func attention(query: Tensor, key: Tensor, value: Tensor, mask: Tensor, causal: Bool = false, dropout probability: Float,
                          site: Int, mode: ForwardMode) throws -> Tensor {
        let (b, h, t, d) = (query.shape[0], query.shape[1], query.shape[2], query.shape[3])
        let droppingWeights: Bool
        if case .training = mode { droppingWeights = probability > 0 } else { droppingWeights = false }
        if causal, !droppingWeights, key.shape == query.shape, mask.shape == [b, 1, t, t] {
            return try Tensor.causalAttention(query: query, key: key, value: value, mask: mask, scale: 1 / Float(d).squareRoot())
                .transposed(1, 2).reshaped([b, t, h * d])
        }
        let scores = try query.matmul(key, transposeB: true)  // [B, H, T, S]
        let weights = try dropout(try scores.maskedSoftmax(scale: 1 / Float(d).squareRoot(), mask: mask), probability: probability, site: site, mode: mode)
        return try weights.matmul(value).transposed(1, 2).reshaped([b, t, h * d])
    }
}
