/// GPT-J as mesh-transformer-jax's CausalTransformerShard held it (BERTIN-GPT-J-6B's training):
/// q, v, k are the layer's `linear`, `linear_1`, `linear_2` (that order), the attention output
/// `linear_3`, fc_in `linear_4`, fc_out `linear_5`; the embedding is a vocab-split Linear with a
/// bias per shard; the head is `projection_shard`'s Linear after its replicated LayerNorm.
extension GPTJForCausalLM: MeshTransformerLayout {
    public var meshTransformerSources: [String: MeshTransformerSource] {
        typealias Leaf = MeshTransformerSource.Leaf
        let root = "causal_transformer_shard/~/"
        let embedding = root + "embedding_shard/~/linear", projection = root + "projection_shard/~/"
        var sources: [String: MeshTransformerSource] = [
            GPTJName.wordEmbeddings: .init([Leaf(embedding, "w", .firstAxis), Leaf(embedding, "b", .summed)]),
            GPTJName.finalNorm + ".weight": .init([Leaf(projection + "replicated_layer_norm", "scale", .firstShard)]),
            GPTJName.finalNorm + ".bias": .init([Leaf(projection + "replicated_layer_norm", "offset", .firstShard)]),
            GPTJName.head + ".weight": .init([Leaf(projection + "linear", "w", .lastAxis)], transposed: true),
            GPTJName.head + ".bias": .init([Leaf(projection + "linear", "b", .firstAxis)]),
        ]
        for index in 0..<config.layerCount {
            let (ours, theirs) = (GPTJName.layer(index) + ".", root + "layer_\(index)/~/")
            sources[ours + GPTJName.query + ".weight"] = .init([Leaf(theirs + "linear", "w", .lastAxis)], transposed: true)
            sources[ours + GPTJName.value + ".weight"] = .init([Leaf(theirs + "linear_1", "w", .lastAxis)], transposed: true)
            sources[ours + GPTJName.key + ".weight"] = .init([Leaf(theirs + "linear_2", "w", .lastAxis)], transposed: true)
            sources[ours + GPTJName.attentionOutput + ".weight"] = .init([Leaf(theirs + "linear_3", "w", .firstAxis)], transposed: true)
            sources[ours + GPTJName.feedForwardIn + ".weight"] = .init([Leaf(theirs + "linear_4", "w", .lastAxis)], transposed: true)
            sources[ours + GPTJName.feedForwardIn + ".bias"] = .init([Leaf(theirs + "linear_4", "b", .firstAxis)])
            sources[ours + GPTJName.feedForwardOut + ".weight"] = .init([Leaf(theirs + "linear_5", "w", .firstAxis)], transposed: true)
            sources[ours + GPTJName.feedForwardOut + ".bias"] = .init([Leaf(theirs + "linear_5", "b", .summed)])
            sources[ours + GPTJName.norm + ".weight"] = .init([Leaf(theirs + "replicated_layer_norm", "scale", .firstShard)])
            sources[ours + GPTJName.norm + ".bias"] = .init([Leaf(theirs + "replicated_layer_norm", "offset", .firstShard)])
        }
        return sources
    }
}
