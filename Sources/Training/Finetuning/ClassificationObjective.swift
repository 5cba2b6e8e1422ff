import Models
import Tensor

/// Fine-tuning a classification head: the batch is already a `TokenBatch` (labels on first
/// sub-tokens or on `<s>`), the loss the head's mean cross-entropy over labelled positions.
public struct ClassificationObjective: TrainingObjective {
    public let classifier: any ClassificationModel
    public var model: any TrainableModel { classifier }
    public var accuracyName: String { classifier.task == .tokenClassification ? "token_accuracy" : "accuracy" }

    public init(classifier: any ClassificationModel) { self.classifier = classifier }

    public func loss(_ p: Parameters, batch: TokenBatch, mode: ForwardMode) throws -> LanguageModelOutput {
        try classifier.trainingLoss(p, batch: batch, mode: mode)
    }
}
