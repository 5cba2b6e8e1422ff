extension RobertaForMaskedLM {
    /// Per block, recording: 8·BTC + 2·BTF + 2·BHT² (post-LN blocks with dropout on the attention
    /// probabilities); outside: 5.5·BTC (embeddings) and 1.5·N·V for the head on the N masked
    /// positions (15% of the tokens, BERTIN's masking). Recomputing: each block's input plus one
    /// block's backward, 19·BTC + 2·BTF + 1.75·BHT².
    public func activationEstimate(batch: Int, sequenceLength: Int) -> ActivationEstimate {
        let c = config.hiddenSize, f = config.intermediateSize
        let s = ActivationShape(batch: batch, length: sequenceLength, width: c, inner: f, heads: config.headCount)
        let masked = (batch * sequenceLength * 15 + 99) / 100
        let head = 3 * masked * config.vocabularySize / 2
        let layers = config.layerCount
        return ActivationEstimate(
            recordedFloats: layers * (8 * s.tokens + 2 * s.innerTokens + 2 * s.scores) + 11 * s.tokens / 2 + head,
            recomputedFloats: layers * s.tokens + max(11 * s.tokens / 2 + head, 19 * s.tokens + 2 * s.innerTokens + 7 * s.scores / 4),
            blockCount: layers, blockParameters: 4 * (c * c + c) + 2 * c + (f * c + f) + (c * f + c) + 2 * c)
    }
}
