import Checkpointing
import Foundation
import Models
import Tensor

/// RoBERTa models in checkpoints: the model is rebuilt from the `config.json` stored beside the weights.
public enum RobertaCheckpoint {
    /// A model and its weights read from a checkpoint.
    public struct Loaded {
        public let model: RobertaForMaskedLM
        public let parameters: ParameterStore
        public let contents: CheckpointContents
    }

    public static func load(from path: String) throws -> Loaded {
        let configText = try Checkpoint.modelConfig(at: path)
        let config: RobertaConfig
        do { config = try JSONDecoder().decode(RobertaConfig.self, from: Data(configText.utf8)) } catch {
            throw CheckpointError.dataset(path: path, dataset: "/model_config", reason: "is not a RoBERTa config: \(error)")
        }
        let model = try RobertaForMaskedLM(config: config)
        let store = try model.makeParameterStore()
        let contents = try Checkpoint.read(from: path, into: store)
        return Loaded(model: model, parameters: store, contents: contents)
    }

    /// transformers directory → checkpoint (weights only: no optimizer state, step 0).
    @discardableResult
    public static func importHuggingFace(directory: String, to path: String) throws -> HuggingFaceRoberta.Loaded {
        let loaded = try HuggingFaceRoberta.load(directory: directory)
        try Checkpoint.write(to: path, parameters: loaded.parameters, optimizer: nil, progress: TrainingProgress(step: 0, seed: 0),
                             modelConfig: loaded.configJSON, recipe: "")
        return loaded
    }

    /// checkpoint → transformers directory that `AutoModelForMaskedLM.from_pretrained` loads.
    public static func exportHuggingFace(checkpoint path: String, to directory: String) throws {
        let loaded = try load(from: path)
        try HuggingFaceRoberta.save(model: loaded.model, parameters: loaded.parameters, configJSON: loaded.contents.modelConfig, to: directory)
    }
}
