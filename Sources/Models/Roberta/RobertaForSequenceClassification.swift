import Tensor

// Shape letters: the project's (Sources/Kernels/CallingConvention.swift): B, T, C, L labels, N chosen rows (row starts).

/// transformers' `RobertaForSequenceClassification`: the encoder, then on the `<s>` position
/// dropout → `classifier.dense` → tanh → dropout → `classifier.out_proj` (no pooler).
public struct RobertaForSequenceClassification: RobertaClassifier {
    public static let architecture = "RobertaForSequenceClassification"
    public static let task = ClassificationTask.sequenceClassification
    public static let headDropoutSites = 2

    public let config: RobertaClassificationConfig
    public let encoder: RobertaEncoder

    public init(config: RobertaClassificationConfig) throws {
        try config.validate()
        encoder = try RobertaEncoder(config: config.base)
        self.config = config
    }

    public var layout: [(name: String, shape: [Int])] {
        let c = config.base.hiddenSize
        return encoder.layout + RobertaEncoder.dense(RobertaName.classifierDense, out: c, in: c)
            + RobertaEncoder.dense(RobertaName.classifierOutput, out: config.labels.count, in: c)
    }

    /// `positions` must be row starts (`b·T`): the head reads the first token of each row.
    public func logits(_ p: Parameters, inputIDs: IndexTensor, attentionMask: IndexTensor, positions: [Int32], mode: ForwardMode) throws -> Tensor {
        let time = inputIDs.shape[1]
        if let stray = positions.first(where: { Int($0) % time != 0 }) {
            throw ModelError.invalidBatch("sequence classification reads the first token of a row; position \(stray) is not a row start")
        }
        let hidden = try encoder.hiddenStates(p, inputIDs: inputIDs, attentionMask: attentionMask, mode: mode)
        let rows = try hidden.reshaped([inputIDs.count, config.base.hiddenSize])
        let first = try Tensor.embedding(rows, indices: try IndexTensor(shape: [positions.count], indices: positions))  // [N, C]
        let site = encoder.dropoutSiteCount
        let dense = try encoder.linear(try encoder.dropout(first, site: site, mode: mode, probability: config.headDropout), p, RobertaName.classifierDense).tanh()
        return try encoder.linear(try encoder.dropout(dense, site: site + 1, mode: mode, probability: config.headDropout), p, RobertaName.classifierOutput)
    }
}

