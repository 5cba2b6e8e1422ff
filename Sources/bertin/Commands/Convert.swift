import ArgumentParser
import Interop

/// transformers directory ↔ checkpoint; BERTIN's Flax checkpoint folder ↔ checkpoint.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a transformers directory (any registered model type) or a Flax checkpoint folder (BERTIN's) to a checkpoint, or back.",
        discussion: """
            bertin convert --from-hf DIR --output C.h5      (DIR holds config.json and model.safetensors, or \
            model.safetensors.index.json and its shards; F16/BF16 weights are widened to float32 exactly)
            bertin convert --checkpoint C.h5 --to-hf DIR [--dtype float16]   (AutoModelForMaskedLM / \
            AutoModelForCausalLM / AutoModelForTokenClassification / AutoModelForSequenceClassification \
            .from_pretrained(DIR) loads it, fine-tuned heads with their id2label)
            bertin convert --from-flax DIR --output C.h5    (BERTIN's checkpoint-N folder: config.json, \
            flax_model.msgpack, and when there optimizer_state.msgpack (optax.adamw's moments and count) and \
            training_state.json (the step); or a Flax save_pretrained folder. bf16/f16 widen exactly. \
            `train --resume` continues the run; its recipe needs weight_decay_mask: flax-examples to decay \
            as BERTIN's script did)
            bertin convert --checkpoint C.h5 --to-flax DIR  (the same folder back: Flax loads it, optax continues)
            bertin convert --from-mtj DIR/step_N --config config.json --output C.h5   (a mesh-transformer-jax \
            GPT-J checkpoint, full or slim, any shard count; config.json is the model's transformers config)
            """)

    @Option(name: .customLong("from-hf"), help: "A transformers directory to import.")
    var fromHuggingFace: String?

    @Option(name: .customLong("from-flax"), help: "A Flax checkpoint folder (BERTIN's checkpoint-N) to import.")
    var fromFlax: String?

    @Option(name: .customLong("to-flax"), help: "The Flax checkpoint folder to write (with --checkpoint).")
    var toFlax: String?

    @Option(name: .customLong("from-mtj"), help: "A mesh-transformer-jax checkpoint (step_N with shard_0, shard_1, …) to import.")
    var fromMeshTransformer: String?

    @Option(help: "The model's transformers config.json (with --from-mtj).")
    var config: String?

    @Option(help: "The checkpoint to write (with --from-hf or --from-flax).")
    var output: String?

    @Option(help: "The checkpoint to export (with --to-hf or --to-flax).")
    var checkpoint: String?

    @Option(name: .customLong("to-hf"), help: "The transformers directory to write (with --checkpoint).")
    var toHuggingFace: String?

    @Option(help: "Element type of the exported weights: float32 (bit for bit), float16 or bfloat16 (rounded to nearest even).")
    var dtype: String = "float32"

    func validate() throws {
        guard SafeTensorsFile.StorageType(rawValue: dtype) != nil else { throw ValidationError("--dtype is float32, float16 or bfloat16") }
        let sources = [fromHuggingFace, fromFlax, fromMeshTransformer].compactMap { $0 }.count, targets = [toHuggingFace, toFlax].compactMap { $0 }.count
        guard (fromMeshTransformer == nil) == (config == nil) else { throw ValidationError("--from-mtj needs --config config.json (and --config goes with --from-mtj only)") }
        switch (sources, output, checkpoint, targets) {
        case (1, .some, nil, 0), (0, nil, .some, 1): return
        default: throw ValidationError("give --from-hf DIR, --from-flax DIR or --from-mtj DIR with --output C.h5, or --checkpoint C.h5 with --to-hf DIR or --to-flax DIR")
        }
    }

    func run() throws {
        if let source = fromHuggingFace, let output {
            let loaded = try TransformersConversion.importDirectory(source, to: output)
            if let note = loaded.note { print("note: \(note)") }
            print("wrote \(output): \(loaded.model.modelType), \(loaded.parameters.parameterCount) parameters")
        } else if let source = fromFlax, let output {
            let imported = try FlaxConversion.importFolder(source, to: output)
            for note in imported.notes { print("note: \(note)") }
            print("wrote \(output): \(imported.model.modelType), \(imported.parameters.parameterCount) parameters, step \(imported.step)"
                  + (imported.optimizerCount.map { ", Adam state after \($0) updates" } ?? ", no optimizer state"))
        } else if let source = fromMeshTransformer, let config, let output {
            let imported = try MeshTransformerConversion.importCheckpoint(source, config: config, to: output)
            for note in imported.notes { print("note: \(note)") }
            print("wrote \(output): \(imported.model.modelType), \(imported.parameters.parameterCount) parameters, step \(imported.step)"
                  + (imported.optimizer.map { ", Adam state after \($0.stepCount) updates" } ?? ", no optimizer state"))
        } else if let checkpoint, let directory = toFlax {
            try FlaxConversion.exportCheckpoint(checkpoint, to: directory)
            print("wrote \(directory): config.json, \(FlaxConversion.parametersFile) and, with optimizer state, \(FlaxConversion.optimizerFile) and \(FlaxConversion.trainingStateFile)")
        } else if let checkpoint, let directory = toHuggingFace {
            try TransformersConversion.exportCheckpoint(checkpoint, to: directory, storage: SafeTensorsFile.StorageType(rawValue: dtype)!)
            print("wrote \(directory)/config.json and \(directory)/model.safetensors")
        }
    }
}
