import Kernels
import Models
import Tensor

/// Masked-LM pre-training (RoBERTa): rows are masked by `MaskedLMCollator`; the loss is the mean
/// cross-entropy over the masked tokens. It equals running the head at every position, but the
/// head (for RoBERTa dense, LayerNorm and the `C × V` decoder, most of its cost) runs only on the
/// labelled rows, gathered first.
public struct MaskedLanguageModeling: TokenRowsObjective {
    public static let name = "masked-lm"
    public let languageModel: any LanguageModel
    public var model: any TrainableModel { languageModel }
    /// How rows are masked (its seed is replaced by each call's).
    public let masking: MaskedLMCollator?
    public var accuracyName: String { "mlm_accuracy" }

    /// `masking` may be nil when batches are made by the caller (tests, benchmarks, `bertin eval`).
    public init(model: any LanguageModel, masking: MaskedLMCollator? = nil) {
        (self.languageModel, self.masking) = (model, masking)
    }

    /// Rows without a `<mask>` token are refused at the first batch.
    public init(model: any LanguageModel, rows vocabulary: RowVocabulary) {
        self.init(model: model, masking: MaskedLMCollator(rows: vocabulary, seed: 0))
    }

    public func batch(rows: [[Int32]], seed: UInt64, step: Int, device: Int, micro: Int) throws -> TokenBatch {
        guard var collator = masking else { throw ObjectiveError.unsuitableRows("masked LM needs a tokenizer with a <mask> token: these rows were prepared without one") }
        collator.seed = seed
        return try collator.batch(rows: rows, step: step, device: device, micro: micro)
    }

    public func hasTargets(_ batch: TokenBatch) -> Bool { batch.labels.indices.contains { $0 != ignoredLabel } }

    public func loss(_ p: Parameters, batch: TokenBatch, mode: ForwardMode) throws -> ObjectiveOutput {
        let labelled = batch.labelledPositions
        guard !labelled.isEmpty else { throw ModelError.invalidBatch("no token carries a label (every label is -100)") }
        let targets = labelled.map { batch.labels.indices[Int($0)] }
        return try languageModel.scoreRows(p, batch: batch, rows: labelled, targets: targets, mode: mode)
    }
}

extension LanguageModel {
    /// The head on the hidden states at the flat positions `rows` (`b·T + t`), scored against
    /// `targets` by mean cross-entropy: what both language-model objectives end with.
    func scoreRows(_ p: Parameters, batch: TokenBatch, rows: [Int32], targets: [Int32], mode: ForwardMode) throws -> ObjectiveOutput {
        let hidden = try hiddenStates(p, inputIDs: batch.inputIDs, attentionMask: batch.attentionMask, mode: mode)
        let flat = try hidden.reshaped([batch.batchSize * batch.time, hiddenSize])
        let picked = try Tensor.embedding(flat, indices: try IndexTensor(shape: [rows.count], indices: rows))  // [N, C]
        return try ObjectiveOutput(scoring: try head(p, picked), targets: targets)  // [N, V]
    }
}
