import Kernels
import Tensor

// Shape letters: the project's (Sources/Kernels/CallingConvention.swift): B, T, C, H, D (C / H),
// F (intermediate size).

/// transformers' `RobertaModel` without the pooler (what every RoBERTa head sits on): embeddings
/// (word + RoBERTa position + token type 0) → LayerNorm → post-LN encoder blocks. Its parameters
/// are the `roberta.*` part of every RoBERTa state_dict; its dropout sites are 0 ..< `dropoutSiteCount`.
public struct RobertaEncoder: Sendable {
    public let config: RobertaConfig

    public init(config: RobertaConfig) throws {
        try config.validate()
        self.config = config
    }

    /// After the embeddings, then three per block.
    public var dropoutSiteCount: Int { 1 + 3 * config.layerCount }

    /// Biases; the weights of the LayerNorms (transformers' `LayerNorm` in the encoder,
    /// `layer_norm` in the masked-LM head) are scales; everything else is a weight.
    public static func role(of name: String) -> ParameterRole { .of(name, normalizations: ["LayerNorm", "layer_norm"]) }

    /// The tensors of one encoder layer (the first's: all are alike).
    public var tensorsPerBlock: Int { layout.filter { $0.name.hasPrefix(RobertaName.layer(0) + ".") }.count }

    /// Positions start after the padding id: `max_position_embeddings − pad − 1` tokens (512 of 514).
    public var maxSequenceLength: Int { config.maxPositionEmbeddings - config.paddingTokenID - 1 }

    /// The `roberta.*` parameters, in transformers names and shapes (Dense weights `[out, in]`).
    public var layout: [(name: String, shape: [Int])] {
        let (c, f) = (config.hiddenSize, config.intermediateSize)
        var layout: [(name: String, shape: [Int])] = [
            (RobertaName.wordEmbeddings, [config.vocabularySize, c]),
            (RobertaName.positionEmbeddings, [config.maxPositionEmbeddings, c]),
            (RobertaName.tokenTypeEmbeddings, [config.typeVocabularySize, c]),
        ] + Self.norm(RobertaName.embeddingsNorm, c)
        for index in 0..<config.layerCount {
            let layer = RobertaName.layer(index) + "."
            layout += Self.dense(layer + RobertaName.query, out: c, in: c) + Self.dense(layer + RobertaName.key, out: c, in: c)
                + Self.dense(layer + RobertaName.value, out: c, in: c) + Self.dense(layer + RobertaName.attentionOutput, out: c, in: c)
                + Self.norm(layer + RobertaName.attentionNorm, c)
                + Self.dense(layer + RobertaName.intermediate, out: f, in: c) + Self.dense(layer + RobertaName.output, out: c, in: f)
                + Self.norm(layer + RobertaName.outputNorm, c)
        }
        return layout
    }

    static func dense(_ name: String, out: Int, in: Int) -> [(name: String, shape: [Int])] {
        [(name + ".weight", [out, `in`]), (name + ".bias", [out])]
    }

    static func norm(_ name: String, _ c: Int) -> [(name: String, shape: [Int])] { [(name + ".weight", [c]), (name + ".bias", [c])] }

    /// transformers' initialisation (`Layer.initialize`) of every parameter in `store`, then the
    /// padding rows of the word and position tables zero (their `padding_idx`).
    public func initialize(_ store: ParameterStore, seed: UInt64) throws {
        try Layer.initialize(store, seed: seed, standardDeviation: config.initializerRange)
        for table in [RobertaName.wordEmbeddings, RobertaName.positionEmbeddings] {
            let entry = try store.entry(named: table)
            (store.values.baseAddress! + entry.offset + config.paddingTokenID * config.hiddenSize)
                .update(repeating: 0, count: config.hiddenSize)
        }
    }

    // MARK: - Forward

    /// The last encoder block's output, `[B, T, C]`.
    public func hiddenStates(_ p: Parameters, inputIDs: IndexTensor, attentionMask: IndexTensor, mode: ForwardMode) throws -> Tensor {
        var x = try embeddings(p, inputIDs: inputIDs, mode: mode)
        let mask = try Tensor.additiveMask(attentionMask: attentionMask)  // [B, 1, 1, T]
        for index in 0..<config.layerCount {
            x = try p.recomputed(x) { p, x in try self.encoderBlock(p, layer: index, x, mask: mask, mode: mode) }
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

    // MARK: - Pieces

    func linear(_ x: Tensor, _ p: Parameters, _ name: String) throws -> Tensor { try Layer.linear(x, p, name) }

    func layerNorm(_ x: Tensor, _ p: Parameters, _ name: String) throws -> Tensor {
        try Layer.layerNorm(x, p, name, epsilon: config.layerNormEpsilon)
    }

    func dropout(_ x: Tensor, site: Int, mode: ForwardMode, probability: Float? = nil) throws -> Tensor {
        try Layer.dropout(x, probability: probability ?? config.hiddenDropout, site: site, mode: mode)
    }
}
