import Checkpointing
import Foundation
import Models
import Optimization
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
        let model = try self.model(checkpoint: path)
        let store = try model.makeParameterStore()
        let contents = try Checkpoint.read(from: path, into: store)
        return CheckpointedModel(model: model, parameters: store, contents: contents)
    }
}

extension ModelRegistry {
    /// The model a checkpoint's stored config describes, without its weights.
    public static func model(checkpoint path: String) throws -> any TrainableModel {
        let configText = try Checkpoint.modelConfig(at: path)
        do { return try ModelRegistry.model(configJSON: Data(configText.utf8)) } catch {
            throw CheckpointError.dataset(path: path, dataset: "/model_config", reason: "does not describe a model: \(error)")
        }
    }
}

extension ModelRegistry {
    /// A training checkpoint's whole state as bit patterns: parameters, AdamW's two moments and
    /// its update count, in layout order. Two runs are the same run when these are equal.
    public static func trainingStateBits(checkpoint path: String) throws -> (bits: [UInt32], contents: CheckpointContents) {
        let store = try model(checkpoint: path).makeParameterStore()
        let optimizer = try AdamW(configuration: AdamWConfiguration(schedule: .constant(0)), parameters: store)
        let contents = try Checkpoint.read(from: path, into: store, optimizer: optimizer)
        let bits = store.values.map(\.bitPattern) + optimizer.firstMoment.values.map(\.bitPattern)
            + optimizer.secondMoment.values.map(\.bitPattern) + [UInt32(truncatingIfNeeded: optimizer.stepCount)]
        return (bits, contents)
    }
}
