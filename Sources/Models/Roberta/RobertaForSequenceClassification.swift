import Foundation
import Tensor

// Shape glossary: B batch, T time, C channels (hidden size), L labels, N rows with a label.

/// transformers' `RobertaForSequenceClassification`: the encoder, then on the `<s>` position
/// dropout → `classifier.dense` → tanh → dropout → `classifier.out_proj` (no pooler).
public struct RobertaForSequenceClassification: ClassificationModel {
    public static let modelType = "roberta"
    public static let architecture = "RobertaForSequenceClassification"
    public static let task = ClassificationTask.sequenceClassification
    public static let baseModelType = "roberta"

    public let config: RobertaClassificationConfig
    public let encoder: RobertaEncoder

    public init(config: RobertaClassificationConfig) throws {
        try config.validate()
        encoder = try RobertaEncoder(config: config.base)
        self.config = config
    }

    /// The encoder's sites, then the head's two.
    public var dropoutSiteCount: Int { encoder.dropoutSiteCount + 2 }
    public var maxSequenceLength: Int { encoder.maxSequenceLength }

    public var layout: [(name: String, shape: [Int])] {
        let c = config.base.hiddenSize
        return encoder.layout + RobertaEncoder.dense(RobertaName.classifierDense, out: c, in: c)
            + RobertaEncoder.dense(RobertaName.classifierOutput, out: config.labels.count, in: c)
    }

    public func initialize(_ store: ParameterStore, seed: UInt64) throws { try encoder.initialize(store, seed: seed) }

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

    public static let transformersNames = RobertaForMaskedLM.encoderOnlyNames

    public func transformersConfig(mergingInto original: String?) throws -> [String: Any] {
        try robertaClassificationConfig(config, mergingInto: original)
    }
}

/// transformers' config for a RoBERTa classification head: the encoder's keys, the labels and
/// `classifier_dropout`.
func robertaClassificationConfig(_ config: RobertaClassificationConfig, mergingInto original: String?) throws -> [String: Any] {
    var object = try robertaTransformersConfig(config.base, mergingInto: original)
    object["id2label"] = Dictionary(uniqueKeysWithValues: config.labels.enumerated().map { (String($0.offset), $0.element) })
    object["label2id"] = Dictionary(uniqueKeysWithValues: config.labels.enumerated().map { ($0.element, $0.offset) })
    object["num_labels"] = nil
    object["classifier_dropout"] = config.classifierDropout.map { Double("\($0)")! } ?? NSNull()
    return object
}
