import Foundation

/// A back-off n-gram language model read from an ARPA file (plain or gzip), scoring sentences as
/// kenlm's `Model.score` / `full_scores` do: log10 probabilities, `<s>` as the first context and
/// `</s>` scored at the end, words split on ASCII whitespace, unknown words scored as `<unk>`, and
/// P(w | h) = p(h w) if listed, else backoff(h) + P(w | h without its first word).
///
/// Like kenlm's probing structure, words and n-grams are stored by 64-bit hashes (of the word's
/// bytes, of the n-gram's word ids) in flat linear-probing tables.
public final class NGramModel {
    public let order: Int
    /// Word ids by a 64-bit hash of the word's UTF-8 bytes, as kenlm's probing vocabulary keeps them:
    /// bytewise (Swift's String equality is canonical, "e\u{301}" == "é"; kenlm's is not) and no
    /// allocation per scored word.
    let vocabulary: ProbingTable<UInt32>
    /// `unigrams[id]`; id 0 is `<unk>`.
    private var unigrams: [Entry]
    /// `tables[n - 2]` holds the n-grams of order n ≥ 2.
    private var tables: [ProbingTable<Entry>]
    private let beginID: UInt32
    private let endID: UInt32

    struct Entry {
        var probability: Float
        var backoff: Float
    }

    /// Reads an ARPA file; a malformed one is an error naming the file and line.
    public init(arpaPath path: String) throws {
        let reader = try LineReader(path: path)
        func fail(_ reason: String) -> CorpusError { .invalidInput(path: path, reason: "line \(reader.lineNumber): \(reason)") }
        var declared: [Int] = []
        var section = 0  // 0: header, n: inside "\n-grams:", -1: after "\end\"
        var vocabulary: ProbingTable<UInt32>?  // sized when the unigram section starts
        var unigrams = [Entry(probability: -100, backoff: 0)]
        var tables: [ProbingTable<Entry>] = []
        var sawUnknown = false
        while let raw = reader.nextLine() {
            guard let line = String(validating: raw, as: UTF8.self)?.trimmingCharacters(in: .whitespacesAndNewlines) else {
                throw fail("invalid UTF-8")
            }
            if line.isEmpty { continue }
            if line == "\\data\\" { section = 0; continue }
            if line == "\\end\\" { section = -1; break }
            if line.hasPrefix("ngram ") {
                let parts = line.dropFirst(6).split(separator: "=")
                guard parts.count == 2, let n = Int(parts[0].trimmingCharacters(in: .whitespaces)),
                      let count = Int(parts[1].trimmingCharacters(in: .whitespaces)), n == declared.count + 1 else {
                    throw fail("bad count line \"\(line)\"")
                }
                declared.append(count)
                continue
            }
            if line.hasPrefix("\\"), line.hasSuffix("-grams:"), let n = Int(line.dropFirst().dropLast(7)) {
                guard n >= 1, n <= declared.count else { throw fail("section \(line) is not declared in \\data\\") }
                section = n
                if n == 1 {
                    vocabulary = ProbingTable(capacity: declared[0] + 1, filler: 0)
                    vocabulary!.insert(wordHash("<unk>".utf8), 0)
                } else {
                    tables.append(ProbingTable(capacity: declared[n - 1], filler: Entry(probability: 0, backoff: 0)))
                }
                continue
            }
            guard section >= 1 else { throw fail("unexpected text \"\(line.prefix(40))\" outside an n-gram section") }
            // Split bytes, not Characters: a combining mark after a space is a word of its own.
            let fields = line.utf8.split(whereSeparator: { $0 == 0x09 || $0 == 0x20 }).map { Array($0) }
            guard fields.count == section + 1 || fields.count == section + 2, let probability = Float(String(decoding: fields[0], as: UTF8.self)) else {
                throw fail("expected a log10 probability, \(section) words and an optional backoff")
            }
            let backoff = fields.count == section + 2 ? Float(String(decoding: fields[section + 1], as: UTF8.self)) : 0
            guard let backoff else { throw fail("the backoff \"\(String(decoding: fields[section + 1], as: UTF8.self))\" is not a number") }
            // The tables are sized from the header, so a section longer than declared stops here.
            let listed = section == 1 ? unigrams.count - (sawUnknown ? 0 : 1) : tables[section - 2].count
            guard listed < declared[section - 1] else {
                throw fail("more \(section)-grams than the \(declared[section - 1]) declared")
            }
            if section == 1 {
                let word = fields[1]
                if word == Array("<unk>".utf8) {
                    unigrams[0] = Entry(probability: probability, backoff: backoff)
                    sawUnknown = true
                } else {
                    vocabulary!.insert(wordHash(word), UInt32(unigrams.count))
                    unigrams.append(Entry(probability: probability, backoff: backoff))
                }
            } else {
                var ids: [UInt32] = []
                for word in fields[1...section] {
                    guard let id = vocabulary![wordHash(word)] else { throw fail("word \"\(String(decoding: word, as: UTF8.self))\" has no unigram") }
                    ids.append(id)
                }
                tables[section - 2].insert(Self.hash(ids[...]), Entry(probability: probability, backoff: backoff))
            }
        }
        guard section == -1 else { throw CorpusError.invalidInput(path: path, reason: "no \\end\\ marker (truncated ARPA file?)") }
        guard !declared.isEmpty, declared[0] == unigrams.count - (sawUnknown ? 0 : 1) else {
            throw CorpusError.invalidInput(path: path, reason: "declares \(declared.first ?? 0) unigrams, lists \(unigrams.count - (sawUnknown ? 0 : 1))")
        }
        for (index, table) in tables.enumerated() where table.count != declared[index + 1] {
            throw CorpusError.invalidInput(path: path, reason: "declares \(declared[index + 1]) \(index + 2)-grams, lists \(table.count)")
        }
        guard let vocabulary, let begin = vocabulary[wordHash("<s>".utf8)], let end = vocabulary[wordHash("</s>".utf8)] else {
            throw CorpusError.invalidInput(path: path, reason: "the vocabulary lacks <s> or </s>")
        }
        order = declared.count
        self.vocabulary = vocabulary
        self.unigrams = unigrams
        self.tables = tables
        beginID = begin
        endID = end
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
        var text = sentence
        let ids = text.withUTF8 { wordIDs($0, beginOfSentence: beginOfSentence, endOfSentence: endOfSentence) }
        return ((beginOfSentence ? 1 : 0)..<ids.count).map { score(in: ids, at: $0) }
    }

    /// log10 probability of the sentence (kenlm `score`): the word scores summed in order, in Double.
    public func score(_ sentence: String, beginOfSentence: Bool = true, endOfSentence: Bool = true) -> Double {
        var text = sentence
        return text.withUTF8 { score(utf8: $0, beginOfSentence: beginOfSentence, endOfSentence: endOfSentence) }
    }

    /// `score` of a sentence given as UTF-8 bytes (a line cut out of a document without a copy).
    func score(utf8 sentence: UnsafeBufferPointer<UInt8>, beginOfSentence: Bool = true, endOfSentence: Bool = true) -> Double {
        let ids = wordIDs(sentence, beginOfSentence: beginOfSentence, endOfSentence: endOfSentence)
        var total = 0.0
        for position in (beginOfSentence ? 1 : 0)..<ids.count { total += Double(score(in: ids, at: position).probability) }
        return total
    }

    /// The sentence's word ids (0 for unknown words), with `<s>` and `</s>` where asked.
    private func wordIDs(_ sentence: UnsafeBufferPointer<UInt8>, beginOfSentence: Bool, endOfSentence: Bool) -> [UInt32] {
        var ids: [UInt32] = []
        ids.reserveCapacity(sentence.count / 4 + 2)
        if beginOfSentence { ids.append(beginID) }
        forEachKenlmWordHash(sentence) { ids.append(vocabulary[$0] ?? 0) }
        if endOfSentence { ids.append(endID) }
        return ids
    }

    /// The longest listed n-gram ending at `ids[position]` gives the probability; the backoffs of
    /// the longer contexts (at most order − 1 words) that did not extend to the word are added.
    private func score(in ids: [UInt32], at position: Int) -> WordScore {
        let word = ids[position]
        let contextLength = min(position, order - 1)
        var probability = unigrams[Int(word)].probability
        var matched = 1
        while matched <= contextLength, let entry = tables[matched - 1][Self.hash(ids[(position - matched)...position])] {
            probability = entry.probability
            matched += 1
        }
        if matched <= contextLength {
            for length in matched...contextLength {
                let context = ids[(position - length)..<position]
                probability += length == 1 ? unigrams[Int(context.first!)].backoff : (tables[length - 2][Self.hash(context)]?.backoff ?? 0)
            }
        }
        return WordScore(probability: probability, ngramLength: matched, isUnknown: word == 0)
    }

    /// A 64-bit hash of an id sequence (splitmix64 steps; collisions are as unlikely as in kenlm).
    static func hash(_ ids: ArraySlice<UInt32>) -> UInt64 {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(ids.count)
        for id in ids {
            state = (state ^ UInt64(id)) &+ 0x9E37_79B9_7F4A_7C15
            state = (state ^ (state >> 30)) &* 0xBF58_476D_1CE4_E5B9
            state = (state ^ (state >> 27)) &* 0x94D0_49BB_1331_11EB
            state ^= state >> 31
        }
        return state
    }
}

/// FNV-1a over a word's bytes, finished with a splitmix64 step.
@inline(__always)
func wordHash<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
    var hasher = WordHasher()
    for byte in bytes { hasher.add(byte) }
    return hasher.finish()
}

/// `wordHash` one byte at a time, so a line can be hashed word by word in a single pass.
struct WordHasher {
    private var state: UInt64 = 0xCBF2_9CE4_8422_2325

    @inline(__always) mutating func add(_ byte: UInt8) { state = (state ^ UInt64(byte)) &* 0x100_0000_01B3 }

    @inline(__always) func finish() -> UInt64 {
        let mixed = (state ^ (state >> 30)) &* 0xBF58_476D_1CE4_E5B9
        return mixed ^ (mixed >> 31)
    }
}

/// Calls `body` with the hash of each word as kenlm's Python `score` splits them: the UTF-8 bytes
/// split on ASCII whitespace. One pass over the bytes, nothing allocated.
func forEachKenlmWordHash(_ sentence: UnsafeBufferPointer<UInt8>, _ body: (UInt64) -> Void) {
    var hasher = WordHasher(), inWord = false
    for byte in sentence {
        if byte == 0x20 || (0x09...0x0D).contains(byte) {
            if inWord { body(hasher.finish()) }
            inWord = false
        } else {
            if !inWord { hasher = WordHasher() }
            inWord = true
            hasher.add(byte)
        }
    }
    if inWord { body(hasher.finish()) }
}
