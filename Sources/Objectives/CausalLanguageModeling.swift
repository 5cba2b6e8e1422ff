import Kernels
import Models
import Tensor

/// Causal-LM pre-training (GPT-J): rows are used as they are (no masking, no padding: prepared rows
/// are exactly full) and the labels are the inputs. The loss is transformers': position t predicts
/// label t + 1 (the shift is done here), mean cross-entropy over labels that are not -100. The
/// `C × V` head runs only on the positions that predict something.
public struct CausalLanguageModeling: TokenRowsObjective {
    public static let name = "causal-lm"
    public let languageModel: any LanguageModel
    public var model: any TrainableModel { languageModel }
    public var accuracyName: String { "next_token_accuracy" }

    public init(model: any LanguageModel) { languageModel = model }

    public init(model: any LanguageModel, rows vocabulary: RowVocabulary) { self.init(model: model) }

    public func batch(rows: [[Int32]], seed: UInt64, step: Int, device: Int, micro: Int) throws -> TokenBatch {
        try TokenBatch(inputIDs: rows, attentionMask: nil, labels: rows)
    }

    public func hasTargets(_ batch: TokenBatch) -> Bool { batch.time > 1 }

    public func loss(_ p: Parameters, batch: TokenBatch, mode: ForwardMode) throws -> ObjectiveOutput {
        let (b, t) = (batch.batchSize, batch.time)
        var predicting: [Int32] = [], targets: [Int32] = []
        for row in 0..<b {
            for position in 0..<(t - 1) where batch.labels.indices[row * t + position + 1] != ignoredLabel {
                predicting.append(Int32(row * t + position))
                targets.append(batch.labels.indices[row * t + position + 1])
            }
        }
        guard !predicting.isEmpty else { throw ModelError.invalidBatch("no token has a next-token label (every shifted label is -100)") }
        return try languageModel.scoreRows(p, batch: batch, rows: predicting, targets: targets, mode: mode)
    }
}
