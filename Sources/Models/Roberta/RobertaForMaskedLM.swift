import Kernels
import Tensor

// Shape letters: the project's (Sources/Kernels/CallingConvention.swift): B, T, C, V, N chosen rows.

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

    /// The head on chosen rows: dense → GELU → LayerNorm → the tied decoder plus the vocabulary
    /// bias, `[N, C]` → `[N, V]`.
    public func head(_ p: Parameters, _ hidden: Tensor) throws -> Tensor {
        let transformed = try encoder.layerNorm(try encoder.linear(hidden, p, RobertaName.headDense).gelu(), p, RobertaName.headNorm)
        return try transformed.matmul(try p[RobertaName.wordEmbeddings], transposeB: true) + (try p[RobertaName.headBias])
    }
}
