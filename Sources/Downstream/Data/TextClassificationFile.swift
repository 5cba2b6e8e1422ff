import Foundation

/// JSON lines of texts to classify: `{"text": ..., "text_pair": ... (optional), "label": ...
/// (optional, a string or an integer)}`, one object per line (MLDoc, PAWS-X and XNLI shapes).
/// Blank lines are skipped. Every line is kept, so predictions are written back by adding a
/// `prediction` field to each object without touching the rest of the line.
public struct TextClassificationFile {
    public struct Example: Equatable, Sendable {
        public var text: String
        public var pair: String?
        public var label: String?
        /// 0-based index in `lines`.
        public var lineIndex: Int
    }

    public let path: String
    public let lines: [String]
    public let endsWithNewline: Bool
    public let examples: [Example]

    public var isLabelled: Bool { examples.allSatisfy { $0.label != nil } }

    public init(path: String) throws {
        let text = try TextLines(path: path)
        self.path = path
        lines = text.lines
        endsWithNewline = text.endsWithNewline
        examples = try text.lines.enumerated().compactMap { index, line in
            func fail(_ reason: String) -> DownstreamError { .invalidInput(path: path, line: index + 1, reason: reason) }
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
            let object: Line
            do { object = try JSONDecoder().decode(Line.self, from: Data(line.utf8)) } catch {
                throw fail("not a {\"text\": string, \"text_pair\"?: string, \"label\"?: string or integer} object (\(Self.reason(error)))")
            }
            let (text, pair, label) = (object.text, object.textPair, object.label?.text)
            return Example(text: text, pair: pair, label: label, lineIndex: index)
        }
    }

    /// The file's text with `"prediction": predictions[i]` added to example i's object.
    public func text(appending predictions: [String]) throws -> String {
        guard predictions.count == examples.count else {
            throw DownstreamError.invalidInput(path: path, line: nil, reason: "predictions do not match the file's examples")
        }
        var output = lines
        for (example, prediction) in zip(examples, predictions) {
            var line = output[example.lineIndex].trimmingCharacters(in: .whitespaces)
            line.removeLast()  // the closing brace
            let value = String(decoding: try JSONSerialization.data(withJSONObject: prediction, options: [.fragmentsAllowed]), as: UTF8.self)
            let body = line.trimmingCharacters(in: .whitespaces)
            output[example.lineIndex] = body + (body == "{" ? "" : ", ") + "\"prediction\": " + value + "}"
        }
        return TextLines.text(output, endsWithNewline: endsWithNewline)
    }

    /// One line's object (other keys are allowed and kept in the file).
    struct Line: Decodable {
        var text: String
        var textPair: String?
        var label: Label?

        enum CodingKeys: String, CodingKey { case text, textPair = "text_pair", label }
    }

    /// A label as files write them: a string ("ECAT") or an integer (XNLI's 0/1/2).
    struct Label: Decodable {
        var text: String

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let string = try? c.decode(String.self) { text = string } else { text = String(try c.decode(Int.self)) }
        }
    }

    static func reason(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "no \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type"
        default: return "invalid JSON"
        }
    }
}
