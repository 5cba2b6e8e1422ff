import ArgumentParser
import CorpusIO
import Foundation
import NGram

/// One JSON line per document with its BERTIN perplexity.
struct Perplexity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score documents with an n-gram model: one JSON line per document with perplexity, log10 score and word count.",
        discussion: "Reads mC4-format JSON lines (gzip or plain) from the files, or from standard input when none is given.")

    @Option(help: "Language model: ARPA (plain or .gz) or a KenLM binary (probing, trie, quantised), recognised from its first bytes.")
    var model: String

    @Flag(name: .customLong("ccnet-normalize"), help: "Score CCNet-normalised lines (lowercase, accents and control characters stripped, digits to 0, punctuation mapped; no sentencepiece) instead of raw ones.")
    var ccnetNormalize = false

    @Argument(help: "Corpus files (default: standard input).")
    var files: [String] = []

    func run() throws {
        let languageModel = try NGramModel(path: model)
        var pending: [Document] = []
        func flush() {
            for scored in languageModel.documentPerplexities(pending.map(\.text), normalize: ccnetNormalize) {
                print("{\"perplexity\": \(scored.perplexity), \"log10_score\": \(scored.logScore), \"words\": \(scored.words)}")
            }
            pending.removeAll()
        }
        let report = try CorpusReader(files: files.isEmpty ? ["/dev/stdin"] : files).forEachDocument { document in
            pending.append(document)
            if pending.count == 1024 { flush() }
        }
        flush()
        FileHandle.standardError.write(Data("\(report)\n".utf8))
    }
}
