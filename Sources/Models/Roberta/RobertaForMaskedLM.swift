import Kernels
import Tensor

// Shape glossary: B batch, T time (tokens per row), C channels (hidden size), V vocabulary,
// N tokens that carry a label.

/// RoBERTa for masked language modelling, computing what transformers' `RobertaForMaskedLM` computes:
/// the encoder (`RobertaEncoder`), then the head: dense → exact GELU → LayerNorm → decoder tied to
/// the word embeddings, plus a vocabulary bias.
///
/// The model holds no weights: every function reads them from `Parameters`, whose names and
/// shapes are the transformers state_dict's (see `layout`).
public struct RobertaForMaskedLM: Sendable {
    public let config: RobertaConfig
    public let encoder: RobertaEncoder

    public init(config: RobertaConfig) throws {
        encoder = try RobertaEncoder(config: config)
        self.config = config
    }

    public var dropoutSiteCount: Int { encoder.dropoutSiteCount }

    /// Every parameter, in transformers names and shapes: the encoder's, then the head's.
    public var layout: [(name: String, shape: [Int])] {
        let c = config.hiddenSize
        return encoder.layout + RobertaEncoder.dense(RobertaName.headDense, out: c, in: c) + RobertaEncoder.norm(RobertaName.headNorm, c)
            + [(RobertaName.headBias, [config.vocabularySize])]
    }

    /// The last encoder block's output, `[B, T, C]`.
    public func hiddenStates(_ p: Parameters, inputIDs: IndexTensor, attentionMask: IndexTensor, mode: ForwardMode) throws -> Tensor {
        try encoder.hiddenStates(p, inputIDs: inputIDs, attentionMask: attentionMask, mode: mode)
    }

    /// The head on chosen rows: `[N, C]` → `[N, V]`.
    func languageModelHead(_ p: Parameters, _ hidden: Tensor) throws -> Tensor {
        let transformed = try encoder.layerNorm(try encoder.linear(hidden, p, RobertaName.headDense).gelu(), p, RobertaName.headNorm)
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
}
