import Models
import Tensor

/// What a trainer optimises: it turns a device's batch into a loss and the counts its metrics are
/// made of. Everything pmap-related (devices, keys, Double accumulation, buckets, NaN guard,
/// optimizer, save/resume) is the trainer's and never changes with the objective.
public protocol TrainingObjective<Batch> {
    associatedtype Batch
    var model: any TrainableModel { get }
    /// The metric `ObjectiveOutput.correctCount / labelledCount` is logged as ("mlm_accuracy").
    var accuracyName: String { get }
    func loss(_ p: Parameters, batch: Batch, mode: ForwardMode) throws -> ObjectiveOutput
}

/// A pre-training objective: it trains on prepared token rows (`bertin prepare`), which it turns
/// into batches itself. Registered by name in `ObjectiveRegistry`.
public protocol TokenRowsObjective<Batch>: TrainingObjective {
    /// The objective's name in recipes and in the registry ("masked-lm").
    static var name: String { get }
    /// The objective for `model` trained on rows of `vocabulary`.
    init(model: any LanguageModel, rows vocabulary: RowVocabulary) throws
    /// The batch for `rows` (`[B][T]`) at `step` on `device`, micro-batch `micro`; `seed` keys
    /// any random choice (masking), so a resumed run builds the same batches.
    func batch(rows: [[Int32]], seed: UInt64, step: Int, device: Int, micro: Int) throws -> Batch
    /// Whether the batch has anything to score (evaluation skips those that do not).
    func hasTargets(_ batch: Batch) -> Bool
}
