extension GPTJForCausalLM {
    /// Per block, recording: 6·BTC + 2·BTF + BHT² (projections, rotary, attention, MLP, residual);
    /// outside: 3·BTC and 2·BTV (logits and their gradient). Recomputing: each block's input, plus
    /// the larger of the head's phase (2·BTV + 5·BTC) and one block's backward (14·BTC + 2·BTF + 1.5·BHT²).
    public func activationEstimate(batch: Int, sequenceLength: Int) -> ActivationEstimate {
        let s = ActivationShape(batch: batch, length: sequenceLength, width: config.hiddenSize, inner: config.innerSize, heads: config.headCount)
        let logits = batch * sequenceLength * config.vocabularySize
        let block = 6 * s.tokens + 2 * s.innerTokens + s.scores
        let layers = config.layerCount
        let c = config.hiddenSize, f = config.innerSize
        return ActivationEstimate(
            recordedFloats: layers * block + 3 * s.tokens + 2 * logits,
            recomputedFloats: layers * s.tokens + max(2 * logits + 5 * s.tokens, 14 * s.tokens + 2 * s.innerTokens + 3 * s.scores / 2),
            blockCount: layers, blockParameters: 2 * c + 4 * c * c + 2 * f * c + f + c)
    }
}
