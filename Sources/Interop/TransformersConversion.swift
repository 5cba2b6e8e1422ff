import Checkpointing
import Foundation
import Models
import Tensor

/// transformers directories ↔ checkpoints, for any registered family.
public enum TransformersConversion {
    /// transformers directory → checkpoint (weights only: no optimizer state, step 0). The stored
    /// config is the directory's `config.json` as it was (its `model_type` rebuilds the model).
    @discardableResult
    public static func importDirectory(_ directory: String, to path: String) throws -> TransformersDirectory.Loaded {
        let loaded = try TransformersDirectory.load(directory: directory)
        try Checkpoint.write(to: path, parameters: loaded.parameters, optimizer: nil, progress: TrainingProgress(step: 0, seed: 0),
                             modelConfig: loaded.configJSON, recipe: "")
        return loaded
    }

    /// checkpoint → transformers directory that `AutoModel*.from_pretrained` loads.
    @discardableResult
    public static func exportCheckpoint(_ path: String, to directory: String, storage: SafeTensorsFile.StorageType = .float32) throws -> CheckpointedModel {
        let loaded = try ModelRegistry.load(checkpoint: path)
        try TransformersDirectory.save(model: loaded.model, parameters: loaded.parameters, configJSON: loaded.contents.modelConfig,
                                       to: directory, storage: storage)
        return loaded
    }
}
