import Checkpointing
import Foundation
import Models
import Tensor
import Testing
import TestSupport
import Training

/// `bertin finetune` and `bertin predict` end to end on the bundled Spanish sample sets
/// (Scripts/finetune/make-sample-sets.py) with a tiny random "pre-trained" RoBERTa.
extension MPITrainingTests {
    static let sampleSets = root.appendingPathComponent("Recipes/finetune-sample")
    static let tokenizerDirectory = root.appendingPathComponent("Tests/CorpusTests/Fixtures/tokenizer").path

    /// A tiny RoBERTa over the test tokenizer's 8000 ids, randomly initialised, as a checkpoint.
    static let pretrained: String = {
        let path = folder("pretrained").appendingPathComponent("tiny.h5").path
        let model = try! RobertaForMaskedLM(config: RobertaConfig(vocabularySize: 8000, hiddenSize: 32, layerCount: 2, headCount: 4,
                                                                  intermediateSize: 64, maxPositionEmbeddings: 130))
        let store = try! model.makeParameterStore()
        try! model.initialize(store, seed: 5)
        try! Checkpoint.write(to: path, parameters: store, optimizer: nil, progress: TrainingProgress(step: 0, seed: 5),
                              modelConfig: try! model.checkpointConfig(), recipe: "")
        return path
    }()

    static func finetune(ranks: Int?, task: String, train: String, validation: String, output: URL, _ extra: [String] = []) throws -> Outcome {
        try runBertin(ranks: ranks, ["finetune", "--task", task, "--checkpoint", pretrained, "--tokenizer", tokenizerDirectory,
                                     "--train", sampleSets.appendingPathComponent(train).path,
                                     "--validation", sampleSets.appendingPathComponent(validation).path,
                                     "--output", output.path, "--devices", "2", "--seed", "7"] + extra)
    }

    /// The eval lines of a fine-tuning run's metrics.jsonl.
    static func evaluations(_ folder: URL) throws -> [[String: Any]] {
        try String(contentsOf: folder.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.filter { $0["eval_epoch"] != nil }
    }

    @Test func tokenClassificationLearnsAndEveryLayoutAgrees() throws {
        let plain = Self.folder("ner-plain")
        let arguments = ["--epochs", "4", "--learning-rate", "2e-3", "--batch-size", "16"]
        let outcome = try Self.finetune(ranks: nil, task: "token-classification", train: "ner-train.conll", validation: "ner-validation.conll",
                                        output: plain, arguments)
        #expect(outcome.status == 0, "\(outcome.output)")
        print(outcome.output)
        #expect(outcome.output.contains("newly initialised (not in the checkpoint): classifier.weight, classifier.bias"))
        #expect(outcome.output.contains("unused weights of the checkpoint: lm_head.dense.weight"))
        let f1 = try Self.evaluations(plain).map { ($0["eval_f1"] as! NSNumber).doubleValue }
        print("token classification: validation F1 by epoch \(f1)")
        #expect(f1.count == 4 && f1.last! > f1.first! && f1.last! > 0.5, "F1 curve \(f1)")
        // The last line is the best epoch's metrics as JSON.
        let last = try JSONSerialization.jsonObject(with: Data(outcome.output.split(separator: "\n").last!.utf8)) as! [String: Double]
        #expect(last["f1"] == f1.max())

        let mpi = Self.folder("ner-np2")
        let parallel = try Self.finetune(ranks: 2, task: "token-classification", train: "ner-train.conll", validation: "ner-validation.conll",
                                         output: mpi, arguments)
        #expect(parallel.status == 0, "\(parallel.output)")
        let expected = try Self.state(plain.appendingPathComponent("final.h5").path)
        let differing = differingElements(try Self.state(mpi.appendingPathComponent("final.h5").path), expected)
        print("finetune np 2: \(differing) of \(expected.count) values differ from the plain 2-device process")
        #expect(differing == 0)

        // predict on the validation file: same metrics as the epoch that made best.h5, labels appended.
        let labelled = plain.appendingPathComponent("predicted.conll").path
        let predicted = try Self.runBertin(ranks: nil, ["predict", "--checkpoint", plain.appendingPathComponent("best.h5").path,
                                                         "--tokenizer", Self.tokenizerDirectory, "--input", Self.sampleSets.appendingPathComponent("ner-validation.conll").path,
                                                         "--output", labelled])
        #expect(predicted.status == 0, "\(predicted.output)")
        let metrics = try JSONSerialization.jsonObject(with: Data(predicted.output.split(separator: "\n").last!.utf8)) as! [String: Double]
        #expect(metrics["f1"] == last["f1"] && metrics["accuracy"] == last["accuracy"])
        let input = try String(contentsOfFile: Self.sampleSets.appendingPathComponent("ner-validation.conll").path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let output = try String(contentsOfFile: labelled, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(input.count == output.count)
        #expect(zip(input, output).allSatisfy { $0.isEmpty || $0.hasPrefix("-DOCSTART-") ? $0 == $1 : $1.hasPrefix($0 + " ") })

        // Rows of 6 tokens: every sentence is cut into windows, yet every word is labelled once.
        let windowed = plain.appendingPathComponent("windowed.conll").path
        let short = try Self.runBertin(ranks: nil, ["predict", "--checkpoint", plain.appendingPathComponent("best.h5").path, "--max-length", "6",
                                                     "--tokenizer", Self.tokenizerDirectory, "--input", Self.sampleSets.appendingPathComponent("ner-validation.conll").path,
                                                     "--output", windowed])
        #expect(short.status == 0, "\(short.output)")
        let windowedLines = try String(contentsOfFile: windowed, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(input.count == windowedLines.count)
        #expect(zip(input, windowedLines).allSatisfy { $0.isEmpty || $0.hasPrefix("-DOCSTART-") ? $0 == $1 : $1.split(separator: " ").count == 4 })
        let windowedMetrics = try JSONSerialization.jsonObject(with: Data(short.output.split(separator: "\n").last!.utf8)) as! [String: Double]
        print("predict with rows of 6 tokens (windows): \(windowedMetrics)")
        #expect(windowedMetrics["accuracy"]! > 0.5)
    }

    @Test func sequenceClassificationLearns() throws {
        let run = Self.folder("docs")
        let outcome = try Self.finetune(ranks: nil, task: "sequence-classification", train: "docs-train.jsonl", validation: "docs-validation.jsonl",
                                        output: run, ["--epochs", "4", "--learning-rate", "2e-3"])
        #expect(outcome.status == 0, "\(outcome.output)")
        let accuracy = try Self.evaluations(run).map { ($0["eval_accuracy"] as! NSNumber).doubleValue }
        print("sequence classification: validation accuracy by epoch \(accuracy)")
        #expect(accuracy.count == 4 && accuracy.last! > accuracy.first! && accuracy.max()! > 0.8, "accuracy \(accuracy)")
        #expect(outcome.output.contains("newly initialised (not in the checkpoint): classifier.dense.weight, classifier.dense.bias, classifier.out_proj.weight, classifier.out_proj.bias"))
    }

    @Test func badFinetuningInputIsNamed() throws {
        let bad = Self.folder("bad-input")
        try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
        let validation = bad.appendingPathComponent("validation.conll")
        try "Hola O\nmundo B-NUEVO\n".write(to: validation, atomically: true, encoding: .utf8)
        let outcome = try Self.runBertin(ranks: nil, ["finetune", "--task", "token-classification", "--checkpoint", Self.pretrained,
                                                       "--tokenizer", Self.tokenizerDirectory, "--train", Self.sampleSets.appendingPathComponent("ner-train.conll").path,
                                                       "--validation", validation.path, "--output", bad.appendingPathComponent("out").path])
        #expect(outcome.status != 0)
        #expect(outcome.output.contains("\(validation.path):2: label \"B-NUEVO\" is not one the model was trained with"), "\(outcome.output)")
    }
}
