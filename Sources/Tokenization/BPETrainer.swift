import Foundation
import HeapModule

/// Learns a byte-level BPE vocabulary the way HuggingFace tokenizers' `BpeTrainer` does (as used by
/// `ByteLevelBPETokenizer.train`): special tokens first, then the 256-character byte alphabet in
/// code-point order of its printable characters, then merges of the most frequent adjacent pair
/// (ties: the smallest pair of ids), counted over distinct pre-tokenized words weighted by their
/// frequency, until the vocabulary is full or the best pair occurs fewer than `minimumFrequency` times.
public struct BPETrainer: Sendable {
    public var vocabularySize: Int
    public var minimumFrequency: Int
    public var specialTokens: [String]

    public init(vocabularySize: Int = 50265, minimumFrequency: Int = 2, specialTokens: [String] = BPETokenizer.robertaSpecialTokens) {
        (self.vocabularySize, self.minimumFrequency, self.specialTokens) = (vocabularySize, minimumFrequency, specialTokens)
    }

    /// Distinct pre-tokenized words (GPT-2 split, as bytes) of `texts` and how often each occurs
    /// (all held at once: for a stream of documents use `WordCounter`).
    public static func countWords(in texts: [String]) -> [[UInt8]: Int] {
        let counter = WordCounter(maximumWords: .max)
        counter.add(texts)
        return Dictionary(uniqueKeysWithValues: counter.counts.map { ($0.key, $0.value) })
    }

    struct Candidate: Comparable {
        let pair: UInt64  // left id << 32 | right id: comparing keys compares pairs lexicographically
        var count: Int
        let positions: [Int]

        static func < (a: Candidate, b: Candidate) -> Bool {
            a.count != b.count ? a.count < b.count : a.pair > b.pair  // the smaller pair wins a tie
        }
        static func == (a: Candidate, b: Candidate) -> Bool { a.count == b.count && a.pair == b.pair }
    }

    public func train(wordCounts: [[UInt8]: Int]) throws -> BPETokenizer {
        try train(words: wordCounts)
    }

    /// Trains on words and their counts (a `WordCounter`'s `counts`): their order does not matter.
    public func train<Words: Sequence>(words wordCounts: Words) throws -> BPETokenizer where Words.Element == (key: [UInt8], value: Int) {
        var tokens: [[UInt8]] = []  // id → bytes (special tokens: their UTF-8 text)
        var textIDs: [String: Int32] = [:]
        for special in specialTokens where textIDs[special] == nil {
            textIDs[special] = Int32(tokens.count)
            tokens.append(Array(special.utf8))
        }
        let specialIDs = textIDs
        var ids: [[UInt8]: Int32] = [:]
        var byteID = [Int32](repeating: 0, count: 256)
        for byte in (0..<256).sorted(by: { byteToCharacter[$0].value < byteToCharacter[$1].value }) {
            let text = String(byteToCharacter[byte])
            if let existing = textIDs[text] { byteID[byte] = existing; continue }
            byteID[byte] = Int32(tokens.count)
            ids[[UInt8(byte)]] = Int32(tokens.count)
            textIDs[text] = Int32(tokens.count)
            tokens.append([UInt8(byte)])
        }

        var words: [[Int32]] = [], counts: [Int] = []
        for (word, count) in wordCounts {
            words.append(word.map { byteID[Int($0)] })
            counts.append(count)
        }
        func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(a)) << 32 | UInt64(UInt32(b)) }
        var pairCounts: [UInt64: Int] = [:]
        var whereToUpdate: [UInt64: Set<Int>] = [:]
        for (index, word) in words.enumerated() where word.count > 1 {
            for position in 0..<(word.count - 1) {
                let pair = key(word[position], word[position + 1])
                pairCounts[pair, default: 0] += counts[index]
                whereToUpdate[pair, default: []].insert(index)
            }
        }
        var queue = Heap<Candidate>()
        for (pair, positions) in whereToUpdate where pairCounts[pair]! > 0 {
            queue.insert(Candidate(pair: pair, count: pairCounts[pair]!, positions: Array(positions)))
        }
        whereToUpdate.removeAll()

        var merges: [(Int32, Int32)] = []
        while textIDs.count < vocabularySize, var top = queue.popMax() {
            let current = pairCounts[top.pair]!
            if top.count != current {
                top.count = current
                queue.insert(top)
                continue
            }
            if top.count < 1 || top.count < minimumFrequency { break }
            let (left, right) = (Int32(truncatingIfNeeded: top.pair >> 32), Int32(truncatingIfNeeded: top.pair & 0xFFFF_FFFF))
            let joined = tokens[Int(left)] + tokens[Int(right)]
            let merged: Int32
            if let existing = ids[joined] {
                merged = existing
            } else {
                merged = Int32(tokens.count)
                ids[joined] = merged
                tokens.append(joined)
                textIDs[String(String.UnicodeScalarView(joined.map { byteToCharacter[Int($0)] }))] = merged
            }
            merges.append((left, right))
            for index in top.positions {
                let count = counts[index]
                var word = words[index]
                var position = 0
                while position < word.count {
                    if word[position] == left, position + 1 < word.count, word[position + 1] == right {
                        if position > 0 {
                            pairCounts[key(word[position - 1], left), default: 0] -= count
                            pairCounts[key(word[position - 1], merged), default: 0] += count
                            whereToUpdate[key(word[position - 1], merged), default: []].insert(index)
                        }
                        word.replaceSubrange(position...(position + 1), with: [merged])
                        if position < word.count - 1 {
                            pairCounts[key(right, word[position + 1]), default: 0] -= count
                            pairCounts[key(merged, word[position + 1]), default: 0] += count
                            whereToUpdate[key(merged, word[position + 1]), default: []].insert(index)
                        }
                    }
                    position += 1
                }
                words[index] = word
            }
            for (pair, positions) in whereToUpdate where pairCounts[pair]! > 0 {
                queue.insert(Candidate(pair: pair, count: pairCounts[pair]!, positions: Array(positions)))
            }
            whereToUpdate.removeAll(keepingCapacity: true)
        }

        func text(_ id: Int32) -> String {
            if let special = specialIDs.first(where: { $0.value == id })?.key { return special }
            return String(String.UnicodeScalarView(tokens[Int(id)].map { byteToCharacter[Int($0)] }))
        }
        var vocabulary: [String: Int32] = [:]
        for id in 0..<Int32(tokens.count) { vocabulary[text(id)] = id }
        return try BPETokenizer(vocabulary: vocabulary, merges: merges.map { (text($0.0), text($0.1)) },
                                specialTokens: specialIDs, source: "training")
    }
}
