import Tensor

// Shape letters: the project's (Sources/Kernels/CallingConvention.swift): B, T, C, L labels, N chosen rows (labelled positions).

/// transformers' `RobertaForTokenClassification`: the encoder, dropout, then `classifier` (`[L, C]`
/// and bias) at every position.
public struct RobertaForTokenClassification: RobertaClassifier {
    public static let architecture = "RobertaForTokenClassification"
    public static let task = ClassificationTask.tokenClassification
    public static let headDropoutSites = 1

    public let config: RobertaClassificationConfig
    public let encoder: RobertaEncoder

    public init(config: RobertaClassificationConfig) throws {
        try config.validate()
        encoder = try RobertaEncoder(config: config.base)
        self.config = config
    }

    public var layout: [(name: String, shape: [Int])] {
        encoder.layout + RobertaEncoder.dense(RobertaName.classifier, out: config.labels.count, in: config.base.hiddenSize)
    }

    public func logits(_ p: Parameters, inputIDs: IndexTensor, attentionMask: IndexTensor, positions: [Int32], mode: ForwardMode) throws -> Tensor {
        let hidden = try encoder.hiddenStates(p, inputIDs: inputIDs, attentionMask: attentionMask, mode: mode)
        let rows = try hidden.reshaped([inputIDs.count, config.base.hiddenSize])
        let dropped = try encoder.dropout(rows, site: encoder.dropoutSiteCount, mode: mode, probability: config.headDropout)
        let picked = try Tensor.embedding(dropped, indices: try IndexTensor(shape: [positions.count], indices: positions))  // [N, C]
        return try encoder.linear(picked, p, RobertaName.classifier)  // [N, L]
    }
}
