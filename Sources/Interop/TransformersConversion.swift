import CheckpointedModels
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

    /// checkpoint → transformers directory that `AutoModel*.from_pretrained` loads. Streams tensor
    /// by tensor: only one parameter is in memory at a time (GPT-J-6B's largest is 825 MB), and a
    /// sharded checkpoint is read through its index.
    @discardableResult
    public static func exportCheckpoint(_ path: String, to directory: String, storage: SafeTensorsFile.StorageType = .float32) throws -> any TrainableModel {
        let configJSON = try Checkpoint.modelConfig(at: path)
        let model = try ModelRegistry.model(checkpoint: path)
        let reader = try Checkpoint.ParameterReader(path: path, layout: model.layout)
        let shapes = Dictionary(uniqueKeysWithValues: model.layout.map { ($0.name, $0.shape) })
        try TransformersDirectory.save(model: model, configJSON: configJSON, to: directory, storage: storage) { name in
            try reader.floats(name, shape: shapes[name]!)
        }
        return model
    }
}
