import Kernels
import Tensor

// Shape glossary: B batch, T time (tokens per row), C channels (hidden size), H heads, D head size
// (C / H), F intermediate size, V vocabulary, N tokens that carry a label.

/// RoBERTa for masked language modelling, computing what transformers' `RobertaForMaskedLM` computes:
/// embeddings (word + RoBERTa position + token type 0) → LayerNorm → post-LN encoder blocks →
/// head (dense → exact GELU → LayerNorm → decoder tied to the word embeddings, plus a vocabulary bias).
///
/// The model holds no weights: every function reads them from `Parameters`, whose names and
/// shapes are the transformers state_dict's (see `layout`).
public struct RobertaForMaskedLM: Sendable {
    public let config: RobertaConfig

    public init(config: RobertaConfig) throws {
        try config.validate()
        self.config = config
    }

    /// Dropout sites of one forward pass: after the embeddings, then three per block.
    public var dropoutSiteCount: Int { 1 + 3 * config.layerCount }

    /// Every parameter, in transformers names and shapes (Dense weights `[out, in]`).
    public var layout: [(name: String, shape: [Int])] {
        let (c, f) = (config.hiddenSize, config.intermediateSize)
        func dense(_ name: String, out: Int, in: Int) -> [(name: String, shape: [Int])] {
            [(name + ".weight", [out, `in`]), (name + ".bias", [out])]
        }
        func norm(_ name: String) -> [(name: String, shape: [Int])] { [(name + ".weight", [c]), (name + ".bias", [c])] }
        var layout: [(name: String, shape: [Int])] = [
            (RobertaName.wordEmbeddings, [config.vocabularySize, c]),
            (RobertaName.positionEmbeddings, [config.maxPositionEmbeddings, c]),
            (RobertaName.tokenTypeEmbeddings, [config.typeVocabularySize, c]),
        ] + norm(RobertaName.embeddingsNorm)
        for index in 0..<config.layerCount {
            let layer = RobertaName.layer(index) + "."
            layout += dense(layer + RobertaName.query, out: c, in: c) + dense(layer + RobertaName.key, out: c, in: c)
                + dense(layer + RobertaName.value, out: c, in: c) + dense(layer + RobertaName.attentionOutput, out: c, in: c)
                + norm(layer + RobertaName.attentionNorm)
                + dense(layer + RobertaName.intermediate, out: f, in: c) + dense(layer + RobertaName.output, out: c, in: f)
                + norm(layer + RobertaName.outputNorm)
        }
        return layout + dense(RobertaName.headDense, out: c, in: c) + norm(RobertaName.headNorm)
            + [(RobertaName.headBias, [config.vocabularySize])]
    }

    // MARK: - Forward

    /// The last encoder block's output, `[B, T, C]`.
    public func hiddenStates(_ p: Parameters, inputIDs: IndexTensor, attentionMask: IndexTensor, mode: ForwardMode) throws -> Tensor {
        var x = try embeddings(p, inputIDs: inputIDs, mode: mode)
        let mask = try Tensor.additiveMask(attentionMask: attentionMask)  // [B, 1, 1, T]
        for index in 0..<config.layerCount {
            x = try encoderBlock(p, layer: index, x, mask: mask, mode: mode)
        }
        return x
    }

    /// Word + position + token-type embeddings, normalised. Token types are all 0, as in pre-training.
    func embeddings(_ p: Parameters, inputIDs: IndexTensor, mode: ForwardMode) throws -> Tensor {
        let padding = Int32(config.paddingTokenID)
        let positions = try robertaPositionIDs(for: inputIDs, paddingID: padding)
        if let last = positions.indices.max(), Int(last) >= config.maxPositionEmbeddings {
            throw ModelError.invalidBatch(
                "a row of \(inputIDs.shape.last ?? 0) tokens needs position \(last), but max_position_embeddings is \(config.maxPositionEmbeddings)")
        }
        let words = try Tensor.embedding(try p[RobertaName.wordEmbeddings], indices: inputIDs, paddingIndex: config.paddingTokenID)
        let place = try Tensor.embedding(try p[RobertaName.positionEmbeddings], indices: positions, paddingIndex: config.paddingTokenID)
        let tokenType = try p[RobertaName.tokenTypeEmbeddings].slice(alongAxis: 0, 0..<1)  // [1, C]
        let sum = try words + place + tokenType
        return try dropout(try layerNorm(sum, p, RobertaName.embeddingsNorm), site: 0, mode: mode)
    }

    /// Post-LN block: `x = LN(x + Dropout(Dense(attention(x))))`, then `LN(x + Dropout(Dense(gelu(Dense(x)))))`.
    func encoderBlock(_ p: Parameters, layer index: Int, _ x: Tensor, mask: Tensor, mode: ForwardMode) throws -> Tensor {
        let layer = RobertaName.layer(index) + "."
        let sites = 1 + 3 * index
        let context = try selfAttention(p, layer: layer, x, mask: mask, mode: mode, site: sites)
        let attended = try layerNorm(
            try x + (try dropout(try linear(context, p, layer + RobertaName.attentionOutput), site: sites + 1, mode: mode)),
            p, layer + RobertaName.attentionNorm)
        let expanded = try linear(attended, p, layer + RobertaName.intermediate).gelu()
        let projected = try dropout(try linear(expanded, p, layer + RobertaName.output), site: sites + 2, mode: mode)
        return try layerNorm(try attended + projected, p, layer + RobertaName.outputNorm)
    }

    /// Self-attention over all heads; `mask` is additive, `[B, 1, 1, T]`.
    func selfAttention(_ p: Parameters, layer: String, _ x: Tensor, mask: Tensor, mode: ForwardMode, site: Int) throws -> Tensor {
        let h = config.headCount
        return try Layer.attention(
            query: try Layer.splitHeads(try linear(x, p, layer + RobertaName.query), heads: h),
            key: try Layer.splitHeads(try linear(x, p, layer + RobertaName.key), heads: h),
            value: try Layer.splitHeads(try linear(x, p, layer + RobertaName.value), heads: h),
            mask: mask, dropout: config.attentionDropout, site: site, mode: mode)
    }

    /// The head on chosen rows: `[N, C]` → `[N, V]`.
    func languageModelHead(_ p: Parameters, _ hidden: Tensor) throws -> Tensor {
        let transformed = try layerNorm(try linear(hidden, p, RobertaName.headDense).gelu(), p, RobertaName.headNorm)
        return try transformed.matmul(try p[RobertaName.wordEmbeddings], transposeB: true) + (try p[RobertaName.headBias])
    }

    // MARK: - Outputs

    /// Logits at every position, `[B, T, V]` (what transformers returns; fill-mask and tests use it).
    public func logits(_ p: Parameters, inputIDs: IndexTensor, attentionMask: IndexTensor, mode: ForwardMode) throws -> Tensor {
        let hidden = try hiddenStates(p, inputIDs: inputIDs, attentionMask: attentionMask, mode: mode)
        let (b, t) = (inputIDs.shape[0], inputIDs.shape[1])
        return try languageModelHead(p, try hidden.reshaped([b * t, config.hiddenSize])).reshaped([b, t, config.vocabularySize])
    }

    /// The masked-LM loss: mean cross-entropy over the tokens that carry a label. It equals running
    /// the head at every position, but the head (dense, LayerNorm and the `C × V` decoder, most of its
    /// cost) runs only on the labelled rows, gathered first.
    public func maskedLM(_ p: Parameters, batch: TokenBatch, mode: ForwardMode) throws -> LanguageModelOutput {
        let labelled = batch.labelledPositions
        guard !labelled.isEmpty else { throw ModelError.invalidBatch("no token carries a label (every label is -100)") }
        let hidden = try hiddenStates(p, inputIDs: batch.inputIDs, attentionMask: batch.attentionMask, mode: mode)
        let rows = try hidden.reshaped([batch.batchSize * batch.time, config.hiddenSize])
        let picked = try Tensor.embedding(rows, indices: try IndexTensor(shape: [labelled.count], indices: labelled))  // [N, C]
        let logits = try languageModelHead(p, picked)  // [N, V]
        let targets = try IndexTensor(shape: [labelled.count], indices: labelled.map { batch.labels.indices[Int($0)] })
        return LanguageModelOutput(loss: try Tensor.crossEntropy(logits: logits, targets: targets), logits: logits.detached, targets: targets.indices)
    }

    // MARK: - Pieces

    func linear(_ x: Tensor, _ p: Parameters, _ name: String) throws -> Tensor { try Layer.linear(x, p, name) }

    func layerNorm(_ x: Tensor, _ p: Parameters, _ name: String) throws -> Tensor {
        try Layer.layerNorm(x, p, name, epsilon: config.layerNormEpsilon)
    }

    func dropout(_ x: Tensor, site: Int, mode: ForwardMode, probability: Float? = nil) throws -> Tensor {
        try Layer.dropout(x, probability: probability ?? config.hiddenDropout, site: site, mode: mode)
    }
}

