import Models
import Tensor

/// Fine-tuning a classification head: the batch is already a `TokenBatch` (labels on first
/// sub-tokens or on `<s>`); the loss is the mean cross-entropy over labelled positions, as
/// transformers' heads compute it, with the head run on those positions only.
public struct ClassificationObjective: TrainingObjective {
    public let classifier: any ClassificationModel
    public var model: any TrainableModel { classifier }
    public var accuracyName: String { classifier.task == .tokenClassification ? "token_accuracy" : "accuracy" }

    public init(classifier: any ClassificationModel) { self.classifier = classifier }

    public func loss(_ p: Parameters, batch: TokenBatch, mode: ForwardMode) throws -> ObjectiveOutput {
        let labelled = batch.labelledPositions
        guard !labelled.isEmpty else { throw ModelError.invalidBatch("no position carries a label (every label is -100)") }
        let logits = try classifier.logits(p, inputIDs: batch.inputIDs, attentionMask: batch.attentionMask, positions: labelled, mode: mode)
        return try ObjectiveOutput(scoring: logits, targets: labelled.map { batch.labels.indices[Int($0)] })
    }
}
