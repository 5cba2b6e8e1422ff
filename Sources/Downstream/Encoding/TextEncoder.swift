import Tokenization

/// Texts (and text pairs) → model rows as transformers' RoBERTa tokenizer encodes them for
/// sequence classification: `<s> A </s>` or `<s> A </s></s> B </s>`, truncated to `maxLength`
/// with the "longest_first" strategy (one token at a time from the end of the longer text; the
/// second text on ties). The label sits on position 0, the `<s>` the head reads. With
/// `addPrefixSpace` (the tokenizer's `add_prefix_space`, true in BERTIN's downstream
/// tokenizer_config.json) each text is encoded with a space in front, as transformers does then.
public struct TextEncoder {
    public let tokenizer: BPETokenizer
    public let maxLength: Int
    public let addPrefixSpace: Bool
    let begin: Int32, end: Int32

    public init(tokenizer: BPETokenizer, maxLength: Int, addPrefixSpace: Bool) throws {
        self.addPrefixSpace = addPrefixSpace
        guard case .roberta(let begin, let end) = tokenizer.postProcessor else {
            throw DownstreamError.invalidInput(path: "tokenizer", line: nil, reason: "sequence classification needs a tokenizer with <s> and </s> (a RoBERTa-style post-processor)")
        }
        guard maxLength >= 5 else { throw DownstreamError.invalidInput(path: "--max-length", line: nil, reason: "must be at least 5, got \(maxLength)") }
        (self.tokenizer, self.maxLength, self.begin, self.end) = (tokenizer, maxLength, begin, end)
    }

    public func encode(text: String, pair: String?, label: Int32?, source: Int, cache: inout [[UInt8]: [Int32]]) -> EncodedExample {
        var first = tokenizer.encode(text, addSpecialTokens: false, addPrefixSpace: addPrefixSpace, cache: &cache)
        var ids: [Int32]
        if let pair {
            var second = tokenizer.encode(pair, addSpecialTokens: false, addPrefixSpace: addPrefixSpace, cache: &cache)
            while first.count + second.count > maxLength - 4 {
                if first.count > second.count { first.removeLast() } else { second.removeLast() }
            }
            ids = [begin] + first + [end, end] + second + [end]
        } else {
            ids = [begin] + first.prefix(maxLength - 2) + [end]
        }
        return EncodedExample(ids: ids, positions: [0], labels: label.map { [$0] }, source: source, words: [])
    }
}
