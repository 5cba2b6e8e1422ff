import Tensor

extension GPTJForCausalLM: CausalGeneration {
    public func makeCache() -> KeyValueCache { KeyValueCache(layers: config.layerCount) }

    /// The blocks run on the new tokens only; their rotated keys and their values join the cache,
    /// and attention reads all cached positions (no padding: prompts are whole).
    public func nextTokenLogits(_ p: Parameters, tokens: IndexTensor, cache: KeyValueCache) throws -> Tensor {
        let (b, t, past) = (tokens.shape[0], tokens.shape[1], cache.length)
        guard past + t <= config.positionCount else {
            throw ModelError.invalidBatch("generation reached \(past + t) tokens, more than n_positions \(config.positionCount)")
        }
        let positions = try IndexTensor(shape: [b, t], indices: (0..<(b * t)).map { Int32(past + $0 % t) })
        let mask = try AttentionMask.causal(try IndexTensor(shape: [b, past + t], indices: Array(repeating: 1, count: b * (past + t))), queries: t)
        var x = try Tensor.embedding(try p[GPTJName.wordEmbeddings], indices: tokens)
        for index in 0..<config.layerCount {
            let layer = GPTJName.layer(index) + "."
            let normed = try Layer.layerNorm(x, p, layer + GPTJName.norm, epsilon: config.layerNormEpsilon)
            let (query, key, value) = try projections(p, layer: layer, normed, positions: positions)
            try cache.layers[index].append(keys: key, values: value)
            let context = try cache.layers[index].attention(query: query, mask: mask)
            let attended = try Layer.linear(context, p, layer + GPTJName.attentionOutput, bias: false)
            let fed = try feedForward(p, layer: layer, normed, mode: .evaluation, site: 0)
            x = try (attended + fed) + x
        }
        cache.advance(by: t)
        let last = try Layer.layerNorm(x, p, GPTJName.finalNorm, epsilon: config.layerNormEpsilon).slice(alongAxis: 1, (t - 1)..<t)
        return try Layer.linear(try last.reshaped([b, config.hiddenSize]), p, GPTJName.head)  // [B, V]
    }
}

extension CausalGeneration {
    /// New tokens after `prompt` (one row), chosen by `sampler`, stopping after `maxNewTokens` or
    /// at `stopToken`. The prompt runs once; every later step feeds one token through the cache.
    public func generate(_ p: Parameters, prompt: [Int32], maxNewTokens: Int, sampler: TokenSampler, stopToken: Int32? = nil) throws -> [Int32] {
        guard !prompt.isEmpty else { throw ModelError.invalidBatch("the prompt holds no tokens") }
        let cache = makeCache()
        var next = prompt
        var generated: [Int32] = []
        while generated.count < maxNewTokens {
            let logits = try nextTokenLogits(p, tokens: try IndexTensor(shape: [1, next.count], indices: next), cache: cache).scalars
            let token = sampler.choose(logits[...], index: generated.count)
            generated.append(token)
            if token == stopToken { break }
            next = [token]
        }
        return generated
    }
}
