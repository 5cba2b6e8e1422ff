import Tensor

/// Keys and values of every layer for the tokens seen so far, so each new token attends to them
/// without recomputing the prefix (one `AttentionCache` per layer: appending copies only the new
/// token, attention reads the prefix in place).
public final class KeyValueCache {
    let layers: [AttentionCache]
    /// Tokens cached so far (the next token's position).
    public var length: Int { layers.first?.length ?? 0 }

    public init(layers: Int) {
        self.layers = (0..<layers).map { _ in AttentionCache() }
    }
}

/// A model that can continue a sequence token by token with a cache.
public protocol CausalGeneration: LanguageModel {
    func makeCache() -> KeyValueCache
    /// Logits of the last position, `[B, V]`, for `tokens` (`[B, T]`) following what `cache` holds;
    /// the cache then holds them too. Evaluation mode.
    func nextTokenLogits(_ p: Parameters, tokens: IndexTensor, cache: KeyValueCache) throws -> Tensor
}
