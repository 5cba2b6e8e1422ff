import ArgumentParser
import Interop

/// transformers directory ↔ checkpoint.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a transformers RoBERTa directory to a checkpoint, or a checkpoint to a transformers directory.",
        discussion: """
            bertin convert --from-hf DIR --output C.h5      (DIR holds config.json and model.safetensors)
            bertin convert --checkpoint C.h5 --to-hf DIR    (AutoModelForMaskedLM.from_pretrained(DIR) loads it)
            """)

    @Option(name: .customLong("from-hf"), help: "A transformers directory to import.")
    var fromHuggingFace: String?

    @Option(help: "The checkpoint to write (with --from-hf).")
    var output: String?

    @Option(help: "The checkpoint to export (with --to-hf).")
    var checkpoint: String?

    @Option(name: .customLong("to-hf"), help: "The transformers directory to write (with --checkpoint).")
    var toHuggingFace: String?

    func validate() throws {
        switch (fromHuggingFace, output, checkpoint, toHuggingFace) {
        case (.some, .some, nil, nil), (nil, nil, .some, .some): return
        default: throw ValidationError("give either --from-hf DIR --output C.h5, or --checkpoint C.h5 --to-hf DIR")
        }
    }

    func run() throws {
        if let source = fromHuggingFace, let output {
            let loaded = try RobertaCheckpoint.importHuggingFace(directory: source, to: output)
            if !loaded.ignoredTensors.isEmpty {
                print("ignored tensors RobertaForMaskedLM does not use: \(loaded.ignoredTensors.joined(separator: ", "))")
            }
            print("wrote \(output): \(loaded.parameters.parameterCount) parameters")
        } else if let checkpoint, let directory = toHuggingFace {
            try RobertaCheckpoint.exportHuggingFace(checkpoint: checkpoint, to: directory)
            print("wrote \(directory)/config.json and \(directory)/model.safetensors")
        }
    }
}
