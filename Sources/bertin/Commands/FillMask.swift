import ArgumentParser
import Foundation
import Interop
import Kernels
import Models
import Tensor

/// The most likely tokens at each `<mask>` of one sequence.
struct FillMask: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fill-mask",
        abstract: "Top-k predictions with probabilities at each <mask> of a token-id sequence, as JSON lines.",
        discussion: """
            Takes token ids (--ids "0 1037 4 2"); text input with --tokenizer arrives with the byte-level \
            BPE tokenizer of the corpus pipeline. Prints one line per masked position: \
            {"position": p, "predictions": [{"id": ..., "probability": ...}, ...]}.
            """)

    @Option(help: "The checkpoint to use.")
    var checkpoint: String

    @Option(help: "Space-separated token ids of one sequence, <s> and </s> included.")
    var ids: String

    @Option(name: .customLong("mask-id"), help: "The <mask> token id (4 in BERTIN's vocabulary, 50264 in roberta-base's).")
    var maskID: Int32 = 4

    @Option(help: "How many predictions per masked position.")
    var top: Int = 5

    func validate() throws {
        guard top > 0 else { throw ValidationError("--top must be positive") }
    }

    func run() throws {
        let tokens = try ids.split(whereSeparator: \.isWhitespace).map { word -> Int32 in
            guard let id = Int32(word) else { throw ValidationError("--ids: \"\(word)\" is not a token id") }
            return id
        }
        let masked = tokens.indices.filter { tokens[$0] == maskID }
        guard !masked.isEmpty else { throw ValidationError("--ids holds no <mask> (id \(maskID))") }
        let loaded = try RobertaCheckpoint.load(from: checkpoint)
        let vocabulary = loaded.model.config.vocabularySize
        if let bad = tokens.first(where: { !(0..<Int32(vocabulary)).contains($0) }) {
            throw ValidationError("--ids: token \(bad) is outside the vocabulary 0..<\(vocabulary)")
        }
        let inputIDs = try IndexTensor(shape: [1, tokens.count], indices: tokens)
        let mask = try IndexTensor(shape: [1, tokens.count], indices: tokens.map { _ in 1 })
        let probabilities = try loaded.parameters.value { p in
            try loaded.model.logits(p, inputIDs: inputIDs, attentionMask: mask, mode: .evaluation).softmax()
        }.scalars
        for position in masked {
            let row = probabilities[(position * vocabulary)..<((position + 1) * vocabulary)]
            let best = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }.prefix(top)
            let predictions = best.map { "{\"id\": \($0 - position * vocabulary), \"probability\": \(row[$0])}" }
            print("{\"position\": \(position), \"predictions\": [\(predictions.joined(separator: ", "))]}")
        }
    }
}
