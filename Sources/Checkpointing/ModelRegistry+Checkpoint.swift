import Foundation
import Models
import Tensor

/// A model and its weights read from a checkpoint.
public struct CheckpointedModel {
    public let model: any TrainableModel
    public let parameters: ParameterStore
    public let contents: CheckpointContents
}

extension ModelRegistry {
    /// The model a checkpoint holds: its family from the stored config's `model_type` (RoBERTa for
    /// checkpoints written before families existed), its weights from `/params`.
    public static func load(checkpoint path: String) throws -> CheckpointedModel {
        let configText = try Checkpoint.modelConfig(at: path)
        let model: any TrainableModel
        do { model = try ModelRegistry.model(configJSON: Data(configText.utf8)) } catch {
            throw CheckpointError.dataset(path: path, dataset: "/model_config", reason: "does not describe a model: \(error)")
        }
        let store = try model.makeParameterStore()
        let contents = try Checkpoint.read(from: path, into: store)
        return CheckpointedModel(model: model, parameters: store, contents: contents)
    }
}
