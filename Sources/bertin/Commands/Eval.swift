import ArgumentParser
import CheckpointedModels
import Checkpointing
import Foundation
import Interop
import Kernels
import Models
import Objectives
import Tensor

/// Eval-mode loss and accuracy of a checkpoint's model on one batch (its family's pre-training
/// loss: masked or causal LM), optionally with gradients.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Language-model loss and accuracy of a checkpoint on one batch (eval mode: no dropout), as JSON.",
        discussion: """
            The batch file holds "input_ids", "attention_mask" (optional: all ones) and "labels", each a list \
            of equally long rows; label -100 means the token is not predicted. Masked LMs (RoBERTa) predict \
            each label at its position; causal LMs (GPT-J) take the inputs as labels and shift them inside, \
            as transformers does. Prints {"loss": ..., "accuracy": ..., "labelled_tokens": ...}.
            """)

    @Option(help: "The checkpoint to evaluate.")
    var checkpoint: String

    @Option(help: "JSON file with input_ids, attention_mask and labels.")
    var batch: String

    @Option(help: "Also write d(loss)/d(parameter) for every parameter to this HDF5 file, as /gradients/<name>.")
    var gradients: String?

    @Option(help: "Threads for the kernels and OpenBLAS (default: all cores, or BERTIN_THREADS).")
    var threads: Int?

    func run() throws {
        ComputeThreads.configure(threads: threads)
        let loaded = try ModelRegistry.load(checkpoint: checkpoint)
        let batch = try readBatch(path: self.batch)
        let (objective, store) = (try ObjectiveRegistry.scoring(loaded.model), loaded.parameters)
        let output: ObjectiveOutput
        if let gradients {
            var recorded: ObjectiveOutput?
            store.zeroGradients()
            try store.valueWithGradient { p in
                recorded = try objective.loss(p, batch: batch, mode: .evaluation)
                return recorded!.loss
            }
            output = recorded!
            try Checkpoint.writeGradients(to: gradients, parameters: store)
        } else {
            output = try store.value { p in try objective.loss(p, batch: batch, mode: .evaluation) }
        }
        let loss = try output.loss.scalar
        let accuracy = Double(output.correctCount) / Double(output.labelledCount)
        print("{\"loss\": \(loss), \"accuracy\": \(accuracy), \"labelled_tokens\": \(output.labelledCount)}")
    }
}

/// Reads a batch file, naming the file in every error.
func readBatch(path: String) throws -> TokenBatch {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("\(path): cannot read the file (missing?)")
    }
    do {
        return try JSONDecoder().decode(TokenBatch.self, from: data)
    } catch let error as ModelError {
        throw ValidationError("\(path): \(error)")
    } catch {
        throw ValidationError("\(path): not a batch of input_ids/attention_mask/labels rows: \(error)")
    }
}
