import Foundation

/// A file of words with one tag each, sentence by sentence: CoNLL-2002/2003 style (one word per
/// line, whitespace-separated columns, word first; a blank line between sentences; `-DOCSTART-`
/// lines ignored) or CoNLL-U (tab-separated, 10 columns; comments, multi-word token ranges `1-2`
/// and empty nodes `1.1` are kept in the file but are not words). Every line is kept, so writing
/// the file back with predictions gives the input with one more column on word lines.
public struct TaggedFile {
    public enum Format: String, Sendable, CaseIterable {
        case conll
        case conllu
    }

    public struct Sentence: Equatable, Sendable {
        public var words: [String]
        /// nil where the file holds no label (a one-column CoNLL file, `_` in CoNLL-U).
        public var labels: [String?]
        /// The 0-based index in `lines` of each word.
        public var lineIndices: [Int]
    }

    public let path: String
    public let format: Format
    public let lines: [String]
    public let endsWithNewline: Bool
    public let sentences: [Sentence]

    /// Whether every word carries a label (evaluation is possible).
    public var isLabelled: Bool { sentences.allSatisfy { $0.labels.allSatisfy { $0 != nil } } }

    /// Reads `path`. `labelColumn` is 0-based; by default the last column for CoNLL, UPOS (3) for
    /// CoNLL-U. A CoNLL file whose lines have one column holds words without labels.
    public init(path: String, format: Format? = nil, labelColumn: Int? = nil) throws {
        let text = try TextLines(path: path)
        let format = format ?? Self.format(ofPath: path)
        self.path = path
        self.format = format
        lines = text.lines
        endsWithNewline = text.endsWithNewline
        func fail(_ line: Int, _ reason: String) -> DownstreamError { .invalidInput(path: path, line: line + 1, reason: reason) }
        var sentences: [Sentence] = []
        var current = Sentence(words: [], labels: [], lineIndices: [])
        func close() {
            if !current.words.isEmpty { sentences.append(current) }
            current = Sentence(words: [], labels: [], lineIndices: [])
        }
        var columnCount: Int?
        for (index, line) in text.lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { close(); continue }
            switch format {
            case .conll:
                let columns = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                if columns[0] == "-DOCSTART-" { close(); continue }
                if let expected = columnCount, columns.count != expected {
                    throw fail(index, "\(columns.count) columns, but the file's first word line has \(expected)")
                }
                columnCount = columns.count
                let column = labelColumn ?? columns.count - 1
                guard columns.indices.contains(column) else {
                    throw fail(index, "no label column \(column) (0-based) in \(columns.count) columns")
                }
                current.words.append(columns[0])
                current.labels.append(columns.count == 1 && labelColumn == nil ? nil : columns[column])
            case .conllu:
                if trimmed.hasPrefix("#") { continue }
                let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                guard columns.count == 10 else { throw fail(index, "\(columns.count) tab-separated columns; CoNLL-U has 10") }
                if columns[0].contains("-") || columns[0].contains(".") { continue }  // multi-word token range or empty node
                guard Int(columns[0]) != nil else { throw fail(index, "word id \"\(columns[0])\" is not a number") }
                let column = labelColumn ?? 3
                guard columns.indices.contains(column) else { throw fail(index, "no label column \(column) (0-based) in 10 columns") }
                current.words.append(columns[1])
                current.labels.append(columns[column] == "_" ? nil : columns[column])
            }
            current.lineIndices.append(index)
        }
        close()
        self.sentences = sentences
    }

    /// CoNLL-U for `.conllu`, CoNLL otherwise.
    public static func format(ofPath path: String) -> Format {
        path.lowercased().hasSuffix(".conllu") ? .conllu : .conll
    }

    /// The 1-based line of word `word` of sentence `sentence` (for error messages).
    public func lineNumber(sentence: Int, word: Int) -> Int { sentences[sentence].lineIndices[word] + 1 }

    /// The file's text with `predictions[s][w]` appended to word w of sentence s as one more column
    /// (a tab for CoNLL-U and tab-separated CoNLL, a space otherwise); other lines as they were.
    public func text(appending predictions: [[String]]) throws -> String {
        guard predictions.count == sentences.count, zip(predictions, sentences).allSatisfy({ $0.count == $1.words.count }) else {
            throw DownstreamError.invalidInput(path: path, line: nil, reason: "predictions do not match the file's sentences")
        }
        var output = lines
        for (sentence, labels) in zip(sentences, predictions) {
            for (index, label) in zip(sentence.lineIndices, labels) {
                let separator = format == .conllu || output[index].contains("\t") ? "\t" : " "
                output[index] += separator + label
            }
        }
        return TextLines.text(output, endsWithNewline: endsWithNewline)
    }
}
