import Foundation
import Tensor

/// What a classification head labels.
public enum ClassificationTask: String, Sendable, CaseIterable {
    /// One label per word (NER, POS): transformers' `*ForTokenClassification`.
    case tokenClassification = "token-classification"
    /// One label per text or text pair (MLDoc, PAWS-X, XNLI): `*ForSequenceClassification`.
    case sequenceClassification = "sequence-classification"
}

/// A config for a classification head over a pre-trained encoder: the encoder's config plus the
/// labels (`id2label` in transformers' files).
public protocol ClassificationConfiguration: Codable, Equatable, Sendable {
    /// The config of the pre-trained model `base` (its stored JSON) with `labels`.
    init(base: Data, labels: [String]) throws
    /// Label names in id order.
    var labels: [String] { get }
}

/// A pre-trained encoder with a classification head. Batches are `TokenBatch`es: token tasks carry
/// a label on the first sub-token of each word; sequence tasks carry the text's label on position 0
/// (the `<s>` token the head reads) and -100 elsewhere. The loss (the mean cross-entropy over
/// labelled positions, as transformers' heads compute it) is `ClassificationObjective`'s.
public protocol ClassificationModel: TrainableModel where Configuration: ClassificationConfiguration {
    static var task: ClassificationTask { get }
    init(config: Configuration) throws
    /// The model `model_type` whose checkpoints this head is put on ("roberta").
    static var baseModelType: String { get }

    /// Logits `[N, L]` at the flat positions `b·T + t` of `positions` (for sequence tasks every
    /// position must be a row start).
    func logits(_ p: Parameters, inputIDs: IndexTensor, attentionMask: IndexTensor, positions: [Int32], mode: ForwardMode) throws -> Tensor
}

extension ClassificationModel {
    public var labels: [String] { config.labels }
    public var task: ClassificationTask { Self.task }
}

/// Labels read from transformers' `id2label` (`{"0": "O", "1": "B-PER"}`), in id order.
func labelsFromID2Label(_ object: [String: String]) throws -> [String] {
    var labels = [String](repeating: "", count: object.count)
    for (key, label) in object {
        guard let id = Int(key), labels.indices.contains(id) else {
            throw ModelError.invalidConfig("id2label has id \"\(key)\"; ids must be 0 ..< \(object.count)")
        }
        labels[id] = label
    }
    guard Set(labels).count == labels.count else { throw ModelError.invalidConfig("id2label names a label twice") }
    return labels
}
