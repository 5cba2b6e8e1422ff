import ArgumentParser
import CheckpointedModels
import Checkpointing
import Foundation
import Interop
import Kernels
import Models
import Objectives
import Tensor
import Tokenization

/// The most likely tokens at each `<mask>` of one sequence.
struct FillMask: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fill-mask",
        abstract: "Top-k predictions with probabilities at each <mask> of a text or token-id sequence, as JSON lines.",
        discussion: """
            Takes text with --tokenizer DIR ("El <mask> de Linux"), or token ids with --ids "0 1037 4 2". \
            Prints one line per masked position: {"position": p, "predictions": [{"id": ..., "token": ..., "probability": ...}, ...]}.
            """)

    @Option(help: "The checkpoint to use.")
    var checkpoint: String

    @Option(help: "Folder with tokenizer.json, or vocab.json + merges.txt (needed for text).")
    var tokenizer: String?

    @Option(help: "Space-separated token ids of one sequence, <s> and </s> included (instead of text).")
    var ids: String?

    @Argument(help: "Text with one or more <mask> (with --tokenizer).")
    var text: String?

    @Option(name: .customLong("mask-id"), help: "The <mask> token id (4 in BERTIN's vocabulary, 50264 in roberta-base's).")
    var maskID: Int32 = 4

    @Option(help: "How many predictions per masked position.")
    var top: Int = 5

    func validate() throws {
        guard top > 0 else { throw ValidationError("--top must be positive") }
        guard (text != nil && tokenizer != nil && ids == nil) || (ids != nil && text == nil) else {
            throw ValidationError("give text with --tokenizer DIR, or --ids")
        }
    }

    func run() throws {
        let bpe = try tokenizer.map { try BPETokenizer(directory: $0) }
        let maskID = bpe?.maskID ?? self.maskID
        let tokens: [Int32]
        if let bpe, let text {
            tokens = bpe.encode(text)
        } else {
            tokens = try (ids ?? "").split(whereSeparator: \.isWhitespace).map { word -> Int32 in
                guard let id = Int32(word) else { throw ValidationError("--ids: \"\(word)\" is not a token id") }
                return id
            }
        }
        let masked = tokens.indices.filter { tokens[$0] == maskID }
        guard !masked.isEmpty else { throw ValidationError("--ids holds no <mask> (id \(maskID))") }
        let loaded = try ModelRegistry.load(checkpoint: checkpoint)
        guard let model = loaded.model as? any LanguageModel, model.defaultObjective == MaskedLanguageModeling.name else {
            throw ValidationError("\(checkpoint) holds a \(type(of: loaded.model).architecture), which does not fill masks")
        }
        let vocabulary = model.vocabularySize
        if let bad = tokens.first(where: { !(0..<Int32(vocabulary)).contains($0) }) {
            throw ValidationError("token \(bad) is outside the model's vocabulary 0..<\(vocabulary) (a tokenizer of another model?)")
        }
        let inputIDs = try IndexTensor(shape: [1, tokens.count], indices: tokens)
        let mask = try IndexTensor(shape: [1, tokens.count], indices: tokens.map { _ in 1 })
        let probabilities = try loaded.parameters.value { p in
            try model.logits(p, inputIDs: inputIDs, attentionMask: mask, mode: .evaluation).softmax()
        }.scalars
        for position in masked {
            let row = probabilities[(position * vocabulary)..<((position + 1) * vocabulary)]
            let best = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }.prefix(top)
            var predictions: [String] = []
            for index in best {
                let id = Int32(index - position * vocabulary)
                var fields = "\"id\": \(id)"
                if let bpe { fields += ", \"token\": " + (try jsonString(try bpe.decode([id], skipSpecialTokens: false))) }
                predictions.append("{\(fields), \"probability\": \(row[index])}")
            }
            print("{\"position\": \(position), \"predictions\": [\(predictions.joined(separator: ", "))]}")
        }
    }
}

/// `text` as a JSON string literal.
func jsonString(_ text: String) throws -> String {
    let data = try JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
    return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
}
