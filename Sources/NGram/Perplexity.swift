import Foundation

/// A document's perplexity as BERTIN computed it: every raw line (`text.split("\n")`, empty ones
/// included) scored by the model with `<s>`/`</s>`; the word count adds each line's
/// `len(line.split()) + 1` (Python's Unicode whitespace, the `+ 1` for `</s>`);
/// perplexity = 10^(−log10 score / words).
public struct DocumentPerplexity: Equatable, Sendable {
    public let logScore: Double
    public let words: Int
    public var perplexity: Double { Foundation.pow(10, -logScore / Double(words)) }

    /// `normalize: true` first applies CCNet's line normalisation (`ccnetNormalize`) to every line.
    ///
    /// Lines are cut at "\n" bytes, as Python's `split("\n")` cuts them (a Swift Character split
    /// would keep "\r\n" together, one grapheme), and scored from the document's bytes.
    public init(text: String, model: NGramModel, normalize: Bool = false) {
        var logScore = 0.0, words = 0
        var document = text
        document.withUTF8 { bytes in
            var start = 0
            for end in 0...bytes.count where end == bytes.count || bytes[end] == 0x0A {
                let raw = UnsafeBufferPointer(rebasing: bytes[start..<end])
                start = end + 1
                if normalize {
                    let line = ccnetNormalize(String(decoding: raw, as: UTF8.self))
                    logScore += model.score(line)
                    words += pythonWordCount(line) + 1
                } else {
                    logScore += model.score(utf8: raw)
                    words += pythonWordCount(utf8: raw) + 1
                }
            }
        }
        self.logScore = logScore
        self.words = words
    }
}

extension NGramModel {
    /// Each text's `DocumentPerplexity`, scored on all cores (the model is read-only once loaded).
    public func documentPerplexities(_ texts: [String], normalize: Bool = false) -> [DocumentPerplexity] {
        var results = [DocumentPerplexity?](repeating: nil, count: texts.count)
        results.withUnsafeMutableBufferPointer { output in
            DispatchQueue.concurrentPerform(iterations: texts.count) { index in
                output[index] = DocumentPerplexity(text: texts[index], model: self, normalize: normalize)
            }
        }
        return results.map { $0! }
    }
}

/// `len(line.split())` in Python 3: runs of Unicode whitespace (`str.isspace`) separate words.
func pythonWordCount(_ line: String) -> Int { pythonWordCount(scalars: line.unicodeScalars) }

/// `pythonWordCount` of a line given as UTF-8 bytes: an ASCII line is counted on its bytes, with
/// no String made.
func pythonWordCount(utf8 line: UnsafeBufferPointer<UInt8>) -> Int {
    guard line.allSatisfy({ $0 < 0x80 }) else { return pythonWordCount(String(decoding: line, as: UTF8.self)) }
    return pythonWordCount(scalars: line.lazy.map { Unicode.Scalar($0) })
}

private func pythonWordCount<Scalars: Sequence<Unicode.Scalar>>(scalars: Scalars) -> Int {
    var count = 0, inWord = false
    for scalar in scalars {
        if isPythonWhitespace(scalar) { inWord = false } else if !inWord { inWord = true; count += 1 }
    }
    return count
}

/// Python's `str.isspace()` set: ASCII whitespace, the information separators 0x1C–0x1F, NEL, and
/// Unicode's space separators and line/paragraph separators.
func isPythonWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
    default: return false
    }
}
