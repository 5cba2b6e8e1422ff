import Tokenization

/// Words → model rows as transformers' run_ner does with `RobertaTokenizer(add_prefix_space=True)`
/// and `is_split_into_words=True`: each word is tokenized on its own with a space before it, the
/// first sub-token of each word carries the word's label and the others -100. Unlike run_ner,
/// which truncates at `max_length` and so drops words from evaluation, a sentence longer than the
/// row is cut into windows of whole words, each with its own `<s> … </s>`, so every word is
/// labelled and predicted exactly once.
public struct WordEncoder {
    public let tokenizer: BPETokenizer
    /// Tokens per row, `<s>` and `</s>` included.
    public let maxLength: Int
    let begin: Int32, end: Int32

    public init(tokenizer: BPETokenizer, maxLength: Int) throws {
        guard case .roberta(let begin, let end) = tokenizer.postProcessor else {
            throw DownstreamError.invalidInput(path: "tokenizer", line: nil, reason: "token classification needs a tokenizer with <s> and </s> (a RoBERTa-style post-processor)")
        }
        guard maxLength >= 3 else { throw DownstreamError.invalidInput(path: "--max-length", line: nil, reason: "must be at least 3, got \(maxLength)") }
        (self.tokenizer, self.maxLength, self.begin, self.end) = (tokenizer, maxLength, begin, end)
    }

    /// Sub-token ids of one word, with a space in front of its text (not of a special token).
    public func subTokens(_ word: String, cache: inout [[UInt8]: [Int32]]) -> [Int32] {
        tokenizer.encode(word, addSpecialTokens: false, addPrefixSpace: true, cache: &cache)
    }

    /// The rows of one sentence. `labels` are label ids per word (nil for unlabelled input).
    /// A word with more sub-tokens than fit a row keeps as many as fit (its first carries the label).
    public func encode(words: [String], labels: [Int32]?, source: Int, cache: inout [[UInt8]: [Int32]]) -> [EncodedExample] {
        let room = maxLength - 2
        var examples: [EncodedExample] = []
        var current = EncodedExample(ids: [begin], positions: [], labels: labels == nil ? nil : [], source: source, words: [])
        func close() {
            current.ids.append(end)
            examples.append(current)
            current = EncodedExample(ids: [begin], positions: [], labels: labels == nil ? nil : [], source: source, words: [])
        }
        for (index, word) in words.enumerated() {
            let pieces = subTokens(word, cache: &cache).prefix(room)
            if current.ids.count - 1 + pieces.count > room { close() }
            current.positions.append(current.ids.count)
            current.words.append(index)
            current.labels?.append(labels![index])
            current.ids.append(contentsOf: pieces)
        }
        if !current.words.isEmpty { close() }
        return examples
    }
}
