import Downstream
import Foundation
import Kernels
import Models
import Tokenization
import Training

/// A fine-tuning or evaluation file, read in the task's format and encoded into model rows.
public struct FinetuningData {
    public enum Source {
        case tagged(TaggedFile)
        case texts(TextClassificationFile)
    }

    public let source: Source
    public let examples: [EncodedExample]

    /// How a file is read and encoded; stored in fine-tuned checkpoints so `predict` reads alike.
    public struct Settings: Codable, Equatable, Sendable {
        public var task: String
        public var maxLength: Int
        /// 0-based label column of CoNLL files (nil: the last; CoNLL-U: UPOS).
        public var labelColumn: Int?
        /// Sequence tasks: the tokenizer's `add_prefix_space` (token tasks always add it).
        public var addPrefixSpace: Bool

        public init(task: ClassificationTask, maxLength: Int, labelColumn: Int?, addPrefixSpace: Bool) {
            (self.task, self.maxLength, self.labelColumn, self.addPrefixSpace) = (task.rawValue, maxLength, labelColumn, addPrefixSpace)
        }

        enum CodingKeys: String, CodingKey {
            case task, maxLength = "max_length", labelColumn = "label_column", addPrefixSpace = "add_prefix_space"
        }

        public var classificationTask: ClassificationTask { ClassificationTask(rawValue: task) ?? .tokenClassification }
    }

    /// Gold labels in file order: one list per sentence (token tasks) or one list of every text's.
    public var goldLabels: [[String?]] {
        switch source {
        case .tagged(let file): return file.sentences.map(\.labels)
        case .texts(let file): return [file.examples.map(\.label)]
        }
    }

    public var isLabelled: Bool {
        switch source {
        case .tagged(let file): return file.isLabelled
        case .texts(let file): return file.isLabelled
        }
    }

    public var path: String {
        switch source {
        case .tagged(let file): return file.path
        case .texts(let file): return file.path
        }
    }

    /// Reads `path`. `labels` maps label names to ids: a label not in it is an error naming the
    /// line, unless `labels` is nil (unlabelled prediction input has no ids to give).
    public init(path: String, settings: Settings, tokenizer: BPETokenizer, labels: [String]?, requireLabels: Bool) throws {
        let ids = labels.map { Dictionary(uniqueKeysWithValues: $0.enumerated().map { ($0.element, Int32($0.offset)) }) }
        var cache: [[UInt8]: [Int32]] = [:]
        switch settings.classificationTask {
        case .tokenClassification:
            let file = try TaggedFile(path: path, labelColumn: settings.labelColumn)
            if requireLabels, !file.isLabelled { throw DownstreamError.invalidInput(path: path, line: nil, reason: "has words without labels; training and evaluation need a label on every word") }
            let encoder = try WordEncoder(tokenizer: tokenizer, maxLength: settings.maxLength)
            var examples: [EncodedExample] = []
            for (index, sentence) in file.sentences.enumerated() {
                var labelIDs: [Int32]?
                if let ids, file.isLabelled {
                    labelIDs = try sentence.labels.enumerated().map { word, label in
                        guard let id = ids[label!] else {
                            throw DownstreamError.invalidInput(path: path, line: file.lineNumber(sentence: index, word: word), reason: "label \"\(label!)\" is not one the model was trained with (\(labels!.joined(separator: " ")))")
                        }
                        return id
                    }
                }
                examples += encoder.encode(words: sentence.words, labels: labelIDs, source: index, cache: &cache)
            }
            (source, self.examples) = (.tagged(file), examples)
        case .sequenceClassification:
            let file = try TextClassificationFile(path: path)
            if requireLabels, !file.isLabelled { throw DownstreamError.invalidInput(path: path, line: nil, reason: "has texts without a label; training and evaluation need one on every text") }
            let encoder = try TextEncoder(tokenizer: tokenizer, maxLength: settings.maxLength, addPrefixSpace: settings.addPrefixSpace)
            let examples = try file.examples.enumerated().map { index, example -> EncodedExample in
                var label: Int32?
                if let ids, let name = example.label, file.isLabelled {
                    guard let id = ids[name] else {
                        throw DownstreamError.invalidInput(path: path, line: example.lineIndex + 1, reason: "label \"\(name)\" is not one the model was trained with (\(labels!.joined(separator: " ")))")
                    }
                    label = id
                }
                return encoder.encode(text: example.text, pair: example.pair, label: label, source: index, cache: &cache)
            }
            (source, self.examples) = (.texts(file), examples)
        }
        if examples.isEmpty { throw DownstreamError.invalidInput(path: path, line: nil, reason: "holds no sentence or text") }
    }

    /// The label list of a training file, as run_ner and run_glue build it: the distinct labels, sorted.
    public static func labelList(path: String, settings: Settings) throws -> [String] {
        switch settings.classificationTask {
        case .tokenClassification:
            let file = try TaggedFile(path: path, labelColumn: settings.labelColumn)
            return Set(file.sentences.flatMap { $0.labels.compactMap { $0 } }).sorted()
        case .sequenceClassification:
            return Set(try TextClassificationFile(path: path).examples.compactMap(\.label)).sorted()
        }
    }

    /// Predictions in file order (per word of each sentence, or per text) from one predicted label
    /// id per position of each example.
    public func predictions(_ predicted: [[Int32]], labels: [String]) -> [[String]] {
        switch source {
        case .tagged(let file):
            var output = file.sentences.map { [String](repeating: "", count: $0.words.count) }
            for (example, ids) in zip(examples, predicted) {
                for (word, id) in zip(example.words, ids) { output[example.source][word] = labels[Int(id)] }
            }
            return output
        case .texts:
            return [zip(examples, predicted).map { labels[Int($0.1[0])] }]
        }
    }

    /// The file written back with `predictions` (as `predictions(_:labels:)` returns them).
    public func text(appending predictions: [[String]]) throws -> String {
        switch source {
        case .tagged(let file): return try file.text(appending: predictions)
        case .texts(let file): return try file.text(appending: predictions[0])
        }
    }

    /// The task metrics as one JSON object: seqeval's entity precision/recall/F1 (micro) and
    /// token accuracy for token tasks, as run_ner reports them; accuracy and macro-F1 for sequence tasks.
    public func metrics(predictions: [[String]], task: ClassificationTask) -> [String: Double] {
        let gold = goldLabels.map { $0.map { $0 ?? "" } }
        switch task {
        case .tokenClassification:
            let m = EntityMetrics(gold: gold, predicted: predictions)
            return ["precision": m.overall.precision, "recall": m.overall.recall, "f1": m.overall.f1, "accuracy": m.accuracy]
        case .sequenceClassification:
            let m = LabelMetrics(gold: gold[0], predicted: predictions[0])
            return ["accuracy": m.accuracy, "macro_f1": m.macroF1]
        }
    }

    /// The metric the best checkpoint is chosen by.
    public static func mainMetric(_ task: ClassificationTask) -> String { task == .tokenClassification ? "f1" : "accuracy" }
}

/// Pads examples into one batch as transformers' collators do: to the longest row, with the pad id,
/// attention 0 and label -100 on padding; labels (when known) on the predicted positions.
public func paddedBatch(_ examples: [EncodedExample], paddingID: Int32) throws -> TokenBatch {
    let time = examples.map(\.ids.count).max() ?? 0
    var ids: [[Int32]] = [], mask: [[Int32]] = [], labels: [[Int32]] = []
    for example in examples {
        let padding = time - example.ids.count
        ids.append(example.ids + [Int32](repeating: paddingID, count: padding))
        mask.append([Int32](repeating: 1, count: example.ids.count) + [Int32](repeating: 0, count: padding))
        var row = [Int32](repeating: ignoredLabel, count: time)
        // Unlabelled input still marks the predicted positions (label 0) so the positions are known.
        for (slot, position) in example.positions.enumerated() { row[position] = example.labels?[slot] ?? 0 }
        labels.append(row)
    }
    return try TokenBatch(inputIDs: ids, attentionMask: mask, labels: labels)
}
