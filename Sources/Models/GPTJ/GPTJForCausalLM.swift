import Kernels
import Tensor

// Shape letters: the project's (Sources/Kernels/CallingConvention.swift): B, T, C (n_embd), H, D (C / H),
// F (n_inner), V, N chosen rows; the rotary features per head are `rotaryDimension`.

/// GPT-J for causal language modelling, computing what transformers' `GPTJForCausalLM` computes
/// (modeling_gptj.py): token embeddings → blocks with ONE LayerNorm feeding attention and the MLP
/// side by side (`x + attention(ln₁(x)) + mlp(ln₁(x))`) → final LayerNorm → an untied `lm_head`
/// with bias. Attention has bias-free projections, rotary on the first R features of q and k
/// (interleaved pairs), a causal + padding mask and scaling by √D.
public struct GPTJForCausalLM: Sendable {
    public let config: GPTJConfig
    let rotary: RotaryTable

    public init(config: GPTJConfig) throws {
        try config.validate()
        self.config = config
        rotary = RotaryTable(rotaryDimension: config.rotaryDimension, positions: config.positionCount)
    }

    /// Dropout sites of one forward pass: after the embeddings, then three per block (attention
    /// weights, attention output, MLP output).
    public var dropoutSiteCount: Int { 1 + 3 * config.layerCount }

    /// Every parameter, in transformers' state_dict order, names and shapes.
    public var layout: [(name: String, shape: [Int])] {
        let (c, f, v) = (config.hiddenSize, config.innerSize, config.vocabularySize)
        var layout: [(name: String, shape: [Int])] = [(GPTJName.wordEmbeddings, [v, c])]
        for index in 0..<config.layerCount {
            let layer = GPTJName.layer(index) + "."
            layout += [(layer + GPTJName.norm + ".weight", [c]), (layer + GPTJName.norm + ".bias", [c])]
            layout += [GPTJName.key, GPTJName.value, GPTJName.query, GPTJName.attentionOutput].map { (layer + $0 + ".weight", [c, c]) }
            layout += [(layer + GPTJName.feedForwardIn + ".weight", [f, c]), (layer + GPTJName.feedForwardIn + ".bias", [f]),
                       (layer + GPTJName.feedForwardOut + ".weight", [c, f]), (layer + GPTJName.feedForwardOut + ".bias", [c])]
        }
        return layout + [(GPTJName.finalNorm + ".weight", [c]), (GPTJName.finalNorm + ".bias", [c]),
                         (GPTJName.head + ".weight", [v, c]), (GPTJName.head + ".bias", [v])]
    }

    // MARK: - Forward

    /// The final LayerNorm's output, `[B, T, C]`. Positions count up along each row from the
    /// tokens already in `cache` (0 without one: transformers' default `position_ids`); padding is
    /// hidden by the mask. `attentionMask` covers the cached tokens and these, `[B, S]`. With a
    /// cache, each layer's keys and values join it and attention reads all cached positions.
    public func hiddenStates(_ p: Parameters, inputIDs: IndexTensor, attentionMask: IndexTensor, mode: ForwardMode,
                             cache: KeyValueCache?) throws -> Tensor {
        let (b, t, past) = (inputIDs.shape[0], inputIDs.shape[1], cache?.length ?? 0)
        guard past + t <= config.positionCount else {
            throw ModelError.invalidBatch("\(past + t) tokens in a row are more than n_positions \(config.positionCount)")
        }
        let positions = try IndexTensor(shape: [b, t], indices: (0..<(b * t)).map { Int32(past + $0 % t) })
        var x = try Tensor.embedding(try p[GPTJName.wordEmbeddings], indices: inputIDs)  // [B, T, C]
        x = try Layer.dropout(x, probability: config.embeddingDropout, site: 0, mode: mode)
        let mask = try Tensor.causalAdditiveMask(attentionMask: attentionMask, queries: t)  // [B, 1, T, S]
        for index in 0..<config.layerCount {
            let layerCache = cache?.layers[index]
            x = try p.recomputed(x) { p, x in try self.block(p, layer: index, x, positions: positions, mask: mask, mode: mode, cache: layerCache) }
        }
        return try Layer.layerNorm(x, p, GPTJName.finalNorm, epsilon: config.layerNormEpsilon)
    }

    /// Parallel residual: attention and MLP both read `ln₁(x)`; their sum joins the residual.
    func block(_ p: Parameters, layer index: Int, _ x: Tensor, positions: IndexTensor, mask: Tensor, mode: ForwardMode,
               cache: AttentionCache?) throws -> Tensor {
        let layer = GPTJName.layer(index) + "."
        let site = 1 + 3 * index
        let normed = try Layer.layerNorm(x, p, layer + GPTJName.norm, epsilon: config.layerNormEpsilon)
        let attended = try attention(p, layer: layer, normed, positions: positions, mask: mask, mode: mode, site: site, cache: cache)
        let fed = try feedForward(p, layer: layer, normed, mode: mode, site: site + 2)
        return try (attended + fed) + x
    }

    func attention(_ p: Parameters, layer: String, _ x: Tensor, positions: IndexTensor, mask: Tensor, mode: ForwardMode, site: Int,
                   cache: AttentionCache?) throws -> Tensor {
        let (query, key, value) = try projections(p, layer: layer, x, positions: positions)
        let context: Tensor
        if let cache {  // decoding: evaluation only, the prefix read in place
            try cache.append(keys: key, values: value)
            context = try cache.attention(query: query, mask: mask)
        } else {
            context = try Layer.attention(query: query, key: key, value: value, mask: mask, causal: true, dropout: config.attentionDropout, site: site, mode: mode)
        }
        let projected = try Layer.linear(context, p, layer + GPTJName.attentionOutput, bias: false)
        return try Layer.dropout(projected, probability: config.residualDropout, site: site + 1, mode: mode)
    }

    /// q, k and v as `[B, H, T, D]`, q and k turned by rotary at `positions` (`[B, T]`).
    func projections(_ p: Parameters, layer: String, _ x: Tensor, positions: IndexTensor) throws -> (Tensor, Tensor, Tensor) {
        let (b, t, h, d) = (x.shape[0], x.shape[1], config.headCount, config.headSize)
        func rotated(_ name: String) throws -> Tensor {  // [B, T, H, D] → rotary → [B, H, T, D]
            try Layer.linear(x, p, layer + name, bias: false).reshaped([b, t, h, d])
                .rotaryEmbedding(positions: positions, table: rotary).transposed(1, 2)
        }
        return (try rotated(GPTJName.query), try rotated(GPTJName.key),
                try Layer.splitHeads(try Layer.linear(x, p, layer + GPTJName.value, bias: false), heads: h))
    }

    /// `fc_out(gelu_new(fc_in(x)))`.
    func feedForward(_ p: Parameters, layer: String, _ x: Tensor, mode: ForwardMode, site: Int) throws -> Tensor {
        let expanded = try Layer.linear(x, p, layer + GPTJName.feedForwardIn).gelu(approximation: .tanh)
        return try Layer.dropout(try Layer.linear(expanded, p, layer + GPTJName.feedForwardOut), probability: config.residualDropout, site: site, mode: mode)
    }

    /// The untied `lm_head` with its bias on chosen rows, `[N, C]` → `[N, V]`.
    public func head(_ p: Parameters, _ hidden: Tensor) throws -> Tensor {
        try Layer.linear(hidden, p, GPTJName.head)
    }
}
