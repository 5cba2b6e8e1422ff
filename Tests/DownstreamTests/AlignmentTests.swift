import Downstream
import Foundation
import Testing
import Tokenization

/// Word alignment and pair encoding against transformers' RobertaTokenizerFast(add_prefix_space=True)
/// on the committed test tokenizer (Scripts/reference/make-downstream-fixture.py).
@Suite struct AlignmentTests {
    static let reference = try! Fixtures.json("alignment.json") as! [String: Any]
    static let tokenizer = try! BPETokenizer(directory: Fixtures.tokenizerDirectory)

    @Test func wordsEncodeAsIsSplitIntoWords() throws {
        let encoder = try WordEncoder(tokenizer: Self.tokenizer, maxLength: 128)
        var cache: [[UInt8]: [Int32]] = [:]
        for case let object as [String: Any] in Self.reference["words"] as! [Any] {
            let words = object["words"] as! [String]
            let ids = (object["input_ids"] as! [NSNumber]).map { $0.int32Value }
            let wordIDs = (object["word_ids"] as! [Any]).map { ($0 as? NSNumber)?.intValue }
            let examples = encoder.encode(words: words, labels: words.indices.map { Int32($0 % 3) }, source: 0, cache: &cache)
            #expect(examples.count == 1)
            let example = examples[0]
            #expect(example.ids == ids, "\(words)")
            // First sub-token of each word: where transformers' word_ids change to a new word.
            let firsts = wordIDs.indices.filter { wordIDs[$0] != nil && ($0 == 0 || wordIDs[$0 - 1] != wordIDs[$0]) }
            #expect(example.positions == firsts)
            #expect(example.words == Array(words.indices))
            #expect(example.labels == words.indices.map { Int32($0 % 3) })
        }
    }

    @Test func longSentencesSplitIntoWindowsOfWholeWords() throws {
        let words = (Self.reference["words"] as! [[String: Any]]).flatMap { $0["words"] as! [String] }
        let encoder = try WordEncoder(tokenizer: Self.tokenizer, maxLength: 12)
        var cache: [[UInt8]: [Int32]] = [:]
        let examples = encoder.encode(words: words, labels: nil, source: 7, cache: &cache)
        #expect(examples.count > 3)
        #expect(examples.allSatisfy { $0.ids.count <= 12 && $0.ids.first == 0 && $0.ids.last == 2 && $0.source == 7 && $0.labels == nil })
        // Every word once, in order, and its sub-tokens are the ones it has in a single encoding.
        #expect(examples.flatMap(\.words) == Array(words.indices))
        for example in examples {
            for (slot, word) in example.words.enumerated() {
                let pieces = Array(encoder.subTokens(words[word], cache: &cache).prefix(10))
                let end = slot + 1 < example.positions.count ? example.positions[slot + 1] : example.ids.count - 1
                #expect(Array(example.ids[example.positions[slot]..<end]) == pieces)
            }
        }
    }

    @Test func pairsTruncateLongestFirst() throws {
        let encoder = try TextEncoder(tokenizer: Self.tokenizer, maxLength: 24, addPrefixSpace: true)
        var cache: [[UInt8]: [Int32]] = [:]
        for case let object as [String: Any] in Self.reference["pairs"] as! [Any] {
            let example = encoder.encode(text: object["text"] as! String, pair: object["text_pair"] as? String, label: 1, source: 0, cache: &cache)
            #expect(example.ids == (object["input_ids"] as! [NSNumber]).map { $0.int32Value })
            #expect(example.positions == [0] && example.labels == [1])
        }
    }
}
