import ArgumentParser
import Interop

/// transformers directory ↔ checkpoint.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a transformers directory (any registered model type) to a checkpoint, or a checkpoint to a transformers directory.",
        discussion: """
            bertin convert --from-hf DIR --output C.h5      (DIR holds config.json and model.safetensors, or \
            model.safetensors.index.json and its shards; F16/BF16 weights are widened to float32 exactly)
            bertin convert --checkpoint C.h5 --to-hf DIR [--dtype float16]   (AutoModelForMaskedLM / \
            AutoModelForCausalLM / AutoModelForTokenClassification / AutoModelForSequenceClassification \
            .from_pretrained(DIR) loads it, fine-tuned heads with their id2label)
            """)

    @Option(name: .customLong("from-hf"), help: "A transformers directory to import.")
    var fromHuggingFace: String?

    @Option(help: "The checkpoint to write (with --from-hf).")
    var output: String?

    @Option(help: "The checkpoint to export (with --to-hf).")
    var checkpoint: String?

    @Option(name: .customLong("to-hf"), help: "The transformers directory to write (with --checkpoint).")
    var toHuggingFace: String?

    @Option(help: "Element type of the exported weights: float32 (bit for bit), float16 or bfloat16 (rounded to nearest even).")
    var dtype: String = "float32"

    func validate() throws {
        guard SafeTensorsFile.StorageType(rawValue: dtype) != nil else { throw ValidationError("--dtype is float32, float16 or bfloat16") }
        switch (fromHuggingFace, output, checkpoint, toHuggingFace) {
        case (.some, .some, nil, nil), (nil, nil, .some, .some): return
        default: throw ValidationError("give either --from-hf DIR --output C.h5, or --checkpoint C.h5 --to-hf DIR")
        }
    }

    func run() throws {
        if let source = fromHuggingFace, let output {
            let loaded = try TransformersConversion.importDirectory(source, to: output)
            if let note = loaded.note { print("note: \(note)") }
            print("wrote \(output): \(loaded.model.modelType), \(loaded.parameters.parameterCount) parameters")
        } else if let checkpoint, let directory = toHuggingFace {
            try TransformersConversion.exportCheckpoint(checkpoint, to: directory, storage: SafeTensorsFile.StorageType(rawValue: dtype)!)
            print("wrote \(directory)/config.json and \(directory)/model.safetensors")
        }
    }
}
