import Tensor

extension GPTJForCausalLM: CausalGeneration {
    public func makeCache() -> KeyValueCache { KeyValueCache(layers: config.layerCount) }

    /// The blocks run on the new tokens only (no padding: prompts are whole).
    public func nextTokenLogits(_ p: Parameters, tokens: IndexTensor, cache: KeyValueCache) throws -> Tensor {
        let (b, t, seen) = (tokens.shape[0], tokens.shape[1], cache.length + tokens.shape[1])
        let mask = try IndexTensor(shape: [b, seen], indices: Array(repeating: 1, count: b * seen))
        let hidden = try hiddenStates(p, inputIDs: tokens, attentionMask: mask, mode: .evaluation, cache: cache)
        return try head(p, try hidden.slice(alongAxis: 1, (t - 1)..<t).reshaped([b, config.hiddenSize]))  // [B, V]
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
