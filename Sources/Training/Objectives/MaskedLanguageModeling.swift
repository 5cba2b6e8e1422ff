import Kernels
import Models
import Tensor

/// Masked-LM pre-training (RoBERTa): rows are masked by `MaskedLMCollator`, the loss is the mean
/// cross-entropy over the masked tokens.
public struct MaskedLanguageModeling: TokenRowsObjective {
    public let languageModel: any LanguageModel
    public var model: any TrainableModel { languageModel }
    /// How rows are masked (its seed is replaced by each call's).
    public let masking: MaskedLMCollator?
    public var accuracyName: String { "mlm_accuracy" }

    /// `masking` may be nil when batches are made by the caller (tests, benchmarks).
    public init(model: any LanguageModel, masking: MaskedLMCollator? = nil) {
        (self.languageModel, self.masking) = (model, masking)
    }

    public func batch(rows: [[Int32]], seed: UInt64, step: Int, device: Int, micro: Int) throws -> TokenBatch {
        guard var collator = masking else { throw TrainingError.invalidRecipe("masked LM needs a tokenizer with a <mask> token: these rows were prepared without one") }
        collator.seed = seed
        return try collator.batch(rows: rows, step: step, device: device, micro: micro)
    }

    public func hasTargets(_ batch: TokenBatch) -> Bool { batch.labels.indices.contains { $0 != ignoredLabel } }

    public func loss(_ p: Parameters, batch: TokenBatch, mode: ForwardMode) throws -> LanguageModelOutput {
        try languageModel.languageModelLoss(p, batch: batch, mode: mode)
    }
}
