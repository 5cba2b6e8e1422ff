import Models
import Tensor

/// Causal-LM pre-training (GPT-J): rows are used as they are (no masking, no padding: prepared rows
/// are exactly full), labels are the inputs and the model shifts them; the loss is the mean
/// cross-entropy of every next token.
public struct CausalLanguageModeling: TokenRowsObjective {
    public let languageModel: any LanguageModel
    public var model: any TrainableModel { languageModel }
    public var accuracyName: String { "next_token_accuracy" }

    public init(model: any LanguageModel) { languageModel = model }

    public func batch(rows: [[Int32]], seed: UInt64, step: Int, device: Int, micro: Int) throws -> TokenBatch {
        try TokenBatch(inputIDs: rows, attentionMask: nil, labels: rows)
    }

    public func hasTargets(_ batch: TokenBatch) -> Bool { batch.time > 1 }

    public func loss(_ p: Parameters, batch: TokenBatch, mode: ForwardMode) throws -> LanguageModelOutput {
        try languageModel.languageModelLoss(p, batch: batch, mode: mode)
    }
}
