import CorpusIO
import Foundation

/// A back-off n-gram language model, scored exactly as kenlm 0.3.0 scores it (its Python `score`
/// and `full_scores`): log10 probabilities, `<s>` as the first context and `</s>` scored at the
/// end, words split on ASCII whitespace, unknown words scored as `<unk>`, and the per-word state of
/// kenlm's `FullScore` (a context is kept only while some longer n-gram can extend it).
///
/// It reads every form kenlm reads: an ARPA file (plain or gzip, built into kenlm's probing
/// structure in memory, in one streaming pass) and the binary forms of `build_binary` (probing,
/// trie, quantised trie, with or without compressed pointers), mapped from disk so loading costs
/// the same for any size. The form is recognised from the file's first bytes.
public final class NGramModel: @unchecked Sendable {
    /// The forms a model file can take.
    public enum Form: String, Sendable {
        case arpa, probing, trie
        case quantizedTrie = "quantized-trie", arrayTrie = "array-trie", quantizedArrayTrie = "quantized-array-trie"
    }

    public let path: String
    public let form: Form
    public let order: Int
    /// The n-gram counts per order, as the file declares them.
    public let counts: [UInt64]
    private let search: Search
    /// Keeps the memory the search reads alive: the mapping or the built image.
    private let backing: AnyObject
    private let beginID: UInt32
    private let endID: UInt32

    private enum Search {
        case probing(ProbingSearch)
        case trie(TrieSearch)
    }

    /// Reads an ARPA or kenlm binary file; a malformed one is an error naming the file (and line).
    public convenience init(path: String) throws {
        if try Self.isBinary(path) { try self.init(binaryPath: path) } else { try self.init(arpaPath: path) }
    }

    /// Reads an ARPA file (plain or gzip).
    public convenience init(arpaPath path: String) throws {
        let built = try ProbingBuilder(arpaPath: path).build()
        try self.init(path: path, form: .arpa, search: .probing(ProbingSearch(base: built.image.bytes.baseAddress!, layout: built.layout)),
                      counts: built.layout.header.counts, backing: built.image)
    }

    /// Maps a kenlm binary file.
    public convenience init(binaryPath path: String) throws {
        let file = try MappedFile(path: path)
        let header = try KenLMBinaryHeader(reading: file.bytes, path: path)
        func fail(_ reason: String) -> CorpusError { .invalidInput(path: path, reason: reason) }
        let end: Int
        switch header.structure {
        case .probing, .restProbing:
            let layout = ProbingLayout(header: header)
            guard file.bytes.count >= layout.end else {
                throw fail("truncated: the file has \(file.bytes.count) bytes; the tables its header declares end at byte \(layout.end)")
            }
            let search = ProbingSearch(base: file.bytes.baseAddress!, layout: layout)
            guard search.vocabularyVersion == 0 else { throw fail("probing vocabulary version \(search.vocabularyVersion); kenlm 0.3.0 writes 0") }
            guard UInt64(search.bound) <= header.counts[0] + 1 else { throw fail("the vocabulary's bound \(search.bound) exceeds the \(header.counts[0]) unigrams") }
            guard search.vocabularyIDs(below: search.bound) else { throw fail("the vocabulary table holds a word id at or past its bound \(search.bound) (damaged?)") }
            try self.init(path: path, form: .probing, search: .probing(search), counts: header.counts, backing: file)
            end = layout.end
        case .trie, .quantizedTrie, .arrayTrie, .quantizedArrayTrie:
            let search = try TrieSearch(file: file.bytes, header: header, path: path)
            let form: Form = [.trie: .trie, .quantizedTrie: .quantizedTrie, .arrayTrie: .arrayTrie, .quantizedArrayTrie: .quantizedArrayTrie][header.structure]!
            try self.init(path: path, form: form, search: .trie(search), counts: header.counts, backing: file)
            end = search.end
        }
        // The vocabulary's words follow the tables, "<unk>" first: a file cut there is named too.
        if header.hasVocabulary, !file.bytes[end...].starts(with: Array("<unk>\0".utf8)) {
            throw fail("truncated or damaged: the vocabulary's words do not follow the tables at byte \(end)")
        }
    }

    private init(path: String, form: Form, search: Search, counts: [UInt64], backing: AnyObject) throws {
        self.path = path
        self.form = form
        self.search = search
        self.counts = counts
        self.backing = backing
        order = counts.count
        switch search {
        case .probing(let probing): (beginID, endID) = (probing.index(ofWord: "<s>"), probing.index(ofWord: "</s>"))
        case .trie(let trie): (beginID, endID) = (trie.index(ofWord: "<s>"), trie.index(ofWord: "</s>"))
        }
        guard beginID != 0, endID != 0 else { throw CorpusError.invalidInput(path: path, reason: "the vocabulary lacks <s> or </s>") }
    }

    /// Whether the file starts with kenlm's binary magic (gzip and plain text are ARPA candidates).
    static func isBinary(_ path: String) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot open" : "no such file"
            throw CorpusError.unreadableFile(path: path, reason: reason)
        }
        defer { try? handle.close() }
        let prefix = (try? handle.read(upToCount: KenLMBinaryHeader.magicPrefix.count)) ?? Data()
        return KenLMBinaryHeader.looksBinary(Array(prefix))
    }

    /// One word's score: log10 P(word | context), the length of the n-gram that matched, and
    /// whether the word is unknown (kenlm's `full_scores` triple).
    public struct WordScore: Equatable, Sendable {
        public let probability: Float
        public let ngramLength: Int
        public let isUnknown: Bool
    }

    /// Scores of each word and of `</s>` (kenlm `full_scores(sentence, bos: true, eos: true)`).
    public func fullScores(_ sentence: String, beginOfSentence: Bool = true, endOfSentence: Bool = true) -> [WordScore] {
        var text = sentence, scores: [WordScore] = []
        text.withUTF8 { bytes in
            walk(bytes, beginOfSentence: beginOfSentence, endOfSentence: endOfSentence) { scores.append(WordScore(probability: $0, ngramLength: $1, isUnknown: $2)) }
        }
        return scores
    }

    /// log10 probability of the sentence (kenlm `score`): the word scores summed in order in a
    /// Float, as kenlm's Python module sums them.
    public func score(_ sentence: String, beginOfSentence: Bool = true, endOfSentence: Bool = true) -> Double {
        var text = sentence
        return text.withUTF8 { score(utf8: $0, beginOfSentence: beginOfSentence, endOfSentence: endOfSentence) }
    }

    /// `score` of a sentence given as UTF-8 bytes (a line cut out of a document without a copy).
    public func score(utf8 sentence: UnsafeBufferPointer<UInt8>, beginOfSentence: Bool = true, endOfSentence: Bool = true) -> Double {
        var total: Float = 0
        walk(sentence, beginOfSentence: beginOfSentence, endOfSentence: endOfSentence) { probability, _, _ in total += probability }
        return Double(total)
    }

    private func walk(_ sentence: UnsafeBufferPointer<UInt8>, beginOfSentence: Bool, endOfSentence: Bool, _ body: (Float, Int, Bool) -> Void) {
        switch search {
        case .probing(let probing): walk(probing, sentence, beginOfSentence, endOfSentence, body)
        case .trie(let trie): walk(trie, sentence, beginOfSentence, endOfSentence, body)
        }
    }

    /// kenlm's `FullScore` word after word. The state after each word is the backoffs of the
    /// n-grams ending there, kept up to the longest that can be extended; the next word matches
    /// its longest n-gram within that context and pays the backoffs of the contexts it did not reach.
    @inline(__always)
    private func walk<S: NGramSearch>(_ search: S, _ sentence: UnsafeBufferPointer<UInt8>, _ beginOfSentence: Bool, _ endOfSentence: Bool,
                                      _ body: (Float, Int, Bool) -> Void) {
        var ids: [UInt32] = []
        ids.reserveCapacity(sentence.count / 4 + 2)
        if beginOfSentence { ids.append(beginID) }
        forEachKenlmWord(sentence) { ids.append(search.index(ofWord: $0)) }
        if endOfSentence { ids.append(endID) }
        let order = search.order
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * order) { backoffs in
            var previous = backoffs.baseAddress!, current = previous + order
            var previousLength = 0
            var first = 0
            if beginOfSentence {
                previous[0] = search.unigram(beginID).entry.backoff
                previousLength = 1
                first = 1
            }
            for position in first..<ids.count {
                var (entry, node) = search.unigram(ids[position])
                var probability = entry.probability, matched = 1
                current[0] = entry.backoff
                var currentLength = KenLMBinaryHeader.hasExtension(entry.backoff) ? 1 : 0
                var independentLeft = entry.independentLeft
                var k = 0
                while k < previousLength, !independentLeft {
                    let word = ids[position - 1 - k]
                    if k == order - 2 {
                        if let longest = search.longest(word, node: node) { (probability, matched) = (longest, order) }
                        break
                    }
                    guard let found = search.middle(k, word, node: &node) else { break }
                    current[k + 1] = found.backoff
                    (probability, matched) = (found.probability, k + 2)
                    if KenLMBinaryHeader.hasExtension(found.backoff) { currentLength = k + 2 }
                    independentLeft = found.independentLeft
                    k += 1
                }
                if matched - 1 < previousLength {
                    for index in (matched - 1)..<previousLength { probability += previous[index] }
                }
                body(probability, matched, ids[position] == 0)
                swap(&previous, &current)
                previousLength = currentLength
            }
        }
    }

    /// Writes the model in kenlm's probing binary form (what `build_binary probing` writes: kenlm
    /// loads it and scores the same). Only a model read from ARPA has the words a binary file carries.
    public func writeProbingBinary(to path: String) throws {
        guard let image = backing as? ModelImage else {
            throw CorpusError.invalidInput(path: self.path, reason: "only a model read from an ARPA file is written as a binary (this one is already \(form.rawValue))")
        }
        try image.write(to: path)
    }
}

/// Calls `body` with each word as kenlm's Python `score` splits them: the UTF-8 bytes split on
/// ASCII whitespace (bytes.split()). Nothing is allocated.
@inline(__always)
func forEachKenlmWord(_ sentence: UnsafeBufferPointer<UInt8>, _ body: (UnsafeRawBufferPointer) -> Void) {
    var start = -1
    for index in 0..<sentence.count {
        let byte = sentence[index]
        if byte == 0x20 || (0x09...0x0D).contains(byte) {
            if start >= 0 { body(UnsafeRawBufferPointer(start: sentence.baseAddress! + start, count: index - start)) }
            start = -1
        } else if start < 0 {
            start = index
        }
    }
    if start >= 0 { body(UnsafeRawBufferPointer(start: sentence.baseAddress! + start, count: sentence.count - start)) }
}
