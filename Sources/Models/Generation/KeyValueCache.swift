import Tensor

/// Keys and values of every layer for the tokens seen so far (`[B, H, S, D]` each), so each new
/// token attends to them without recomputing the prefix.
public final class KeyValueCache {
    var keys: [Tensor?]
    var values: [Tensor?]
    /// Tokens cached so far (the next token's position).
    public private(set) var length = 0

    public init(layers: Int) {
        keys = Array(repeating: nil, count: layers)
        values = Array(repeating: nil, count: layers)
    }

    /// Appends this step's `[B, H, T, D]` keys and values of `layer`; returns all of them.
    func append(layer: Int, key: Tensor, value: Tensor) throws -> (Tensor, Tensor) {
        let allKeys = try keys[layer].map { try Tensor.concatenate([$0, key], alongAxis: 2) } ?? key
        let allValues = try values[layer].map { try Tensor.concatenate([$0, value], alongAxis: 2) } ?? value
        (keys[layer], values[layer]) = (allKeys, allValues)
        return (allKeys, allValues)
    }

    func advance(by tokens: Int) { length += tokens }
}

/// A model that can continue a sequence token by token with a cache.
public protocol CausalGeneration: LanguageModel {
    func makeCache() -> KeyValueCache
    /// Logits of the last position, `[B, V]`, for `tokens` (`[B, T]`) following what `cache` holds;
    /// the cache then holds them too. Evaluation mode.
    func nextTokenLogits(_ p: Parameters, tokens: IndexTensor, cache: KeyValueCache) throws -> Tensor
}
