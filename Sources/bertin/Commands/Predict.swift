import ArgumentParser
import AtomicFiles
import CheckpointedModels
import Checkpointing
import Finetuning
import Foundation
import Kernels
import Models
import Tokenization
import Training

/// Labels for a file with a fine-tuned checkpoint, and its metrics when the file has gold labels.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict labels with a fine-tuned checkpoint; score them when the input has gold labels.",
        discussion: """
            Reads the input as the checkpoint's task does (CoNLL / CoNLL-U for token classification, JSON lines for \
            sequence classification; the max length and label column stored by bertin finetune apply unless given). \
            Writes the input back with the predicted label as one more column on word lines, or a "prediction" field \
            on each JSON object. When every word or text has a gold label, prints one JSON line of metrics: seqeval's \
            entity precision/recall/F1 (default mode: IOB1, IOB2, IOE, BIOES) and token accuracy, or accuracy and macro-F1.
            """)

    @Option(help: "A fine-tuned checkpoint (bertin finetune's best.h5, or a converted transformers classifier).")
    var checkpoint: String

    @Option(help: "The tokenizer directory.")
    var tokenizer: String

    @Option(help: "The file to label.")
    var input: String

    @Option(help: "Where to write the labelled file.")
    var output: String

    @Option(name: .customLong("max-length"), help: "Tokens per row (default: the fine-tuning run's, else 128).")
    var maxLength: Int?

    @Option(name: .customLong("label-column"), help: "0-based tag column of CoNLL input (default: the fine-tuning run's, else the last).")
    var labelColumn: Int?

    @Option(name: .customLong("batch-size")) var batchSize = 32
    @Option var threads: Int?

    func run() throws {
        configureThreads(threads)
        let loaded = try ModelRegistry.load(checkpoint: checkpoint)
        guard let model = loaded.model as? any ClassificationModel else {
            throw ValidationError("\(checkpoint) holds a \(type(of: loaded.model).architecture), not a classification head (fine-tune it with bertin finetune)")
        }
        let stored = try? JSONDecoder().decode(FinetuningData.Settings.self, from: Data(loaded.contents.recipe.utf8))
        let settings = FinetuningData.Settings(
            task: model.task, maxLength: maxLength ?? stored?.maxLength ?? 128, labelColumn: labelColumn ?? stored?.labelColumn,
            addPrefixSpace: model.task == .tokenClassification || (stored?.addPrefixSpace ?? tokenizerAddsPrefixSpace(tokenizer)))
        let tokenizer = try BPETokenizer(directory: self.tokenizer)
        guard let paddingID = tokenizer.paddingID else { throw ValidationError("the tokenizer in \(self.tokenizer) has no <pad> token") }
        let data = try FinetuningData(path: input, settings: settings, tokenizer: tokenizer, labels: model.labels, requireLabels: false)
        let predicted = try ClassificationPrediction.predict(model, parameters: loaded.parameters, examples: data.examples,
                                                             batchSize: batchSize, paddingID: paddingID)
        let predictions = data.predictions(predicted, labels: model.labels)
        let text = try data.text(appending: predictions)
        try AtomicFile.write(to: output) { try $0.write(contentsOf: Data(text.utf8)) }
        if data.isLabelled {
            let metrics = data.metrics(predictions: predictions, task: model.task)
            print(String(decoding: try JSONSerialization.data(withJSONObject: metrics, options: [.sortedKeys]), as: UTF8.self))
        } else {
            FileHandle.standardError.write(Data("wrote \(output) (no gold labels: no metrics)\n".utf8))
        }
    }
}
