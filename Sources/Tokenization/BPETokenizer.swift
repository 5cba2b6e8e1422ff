import CorpusIO
import Foundation

/// Byte-level BPE exactly as HuggingFace tokenizers' `ByteLevelBPETokenizer`: special tokens are cut
/// out of the raw text first, the rest is split by GPT-2's pre-tokenizer, each piece's bytes are
/// merged by rank, and the post-processor the files name adds special tokens: RoBERTa's wraps the
/// result in `<s> … </s>`, GPT-2's adds nothing (documents are separated by `<|endoftext|>`).
///
/// Merging runs on byte strings, not on the printable characters of the vocabulary files: the two
/// are a bijection, and bytes avoid Swift's canonical String equality.
public final class BPETokenizer: @unchecked Sendable {
    /// Token id → its bytes (special tokens: their text's UTF-8).
    public let tokens: [[UInt8]]
    /// Byte string → token id.
    let ids: [[UInt8]: Int32]
    /// (left id, right id) → (rank, merged id).
    let merges: [UInt64: (rank: Int32, merged: Int32)]
    /// Merges in rank order as token-id pairs (for writing merges.txt).
    public let mergeList: [(Int32, Int32)]
    /// Special tokens, matched in raw text, by text.
    public let specialTokens: [String: Int32]
    let byteIDs: [Int32]
    /// RoBERTa's roles where the vocabulary has them (`<s>`, `</s>`, `<pad>`, `<mask>`).
    public let beginID: Int32?, endID: Int32?, paddingID: Int32?, maskID: Int32?
    public let postProcessor: PostProcessor

    /// What `encode(addSpecialTokens: true)` adds around a text.
    public enum PostProcessor: Equatable, Sendable {
        /// `<s> … </s>` (tokenizers' RobertaProcessing).
        case roberta(begin: Int32, end: Int32)
        /// Nothing (GPT-2's ByteLevel post-processor).
        case none
    }

    public static let robertaSpecialTokens = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    /// GPT-2's only special token: between documents, and its bos/eos/unk.
    public static let endOfTextToken = "<|endoftext|>"

    /// The token that ends a document in concatenated causal rows: `<|endoftext|>`, else `</s>`.
    public var documentEndID: Int32? { specialTokens[Self.endOfTextToken] ?? endID }

    /// Builds a tokenizer from vocabulary entries (printable byte-level text → id), merges in rank
    /// order, and special tokens (text → id).
    /// `postProcessor` nil means RoBERTa's when `<s>` and `</s>` are special tokens, else none.
    public init(vocabulary: [String: Int32], merges mergeTexts: [(String, String)], specialTokens: [String: Int32], source: String,
                postProcessor: PostProcessor? = nil) throws {
        func fail(_ reason: String) -> CorpusError { .invalidInput(path: source, reason: reason) }
        // Ids are dense in every real vocabulary (a few gaps at most): a table sized by the largest
        // id must stay within what the file's entries can back, not 2^31 slots for one bad number.
        let size = Int(vocabulary.values.max() ?? -1) + 1
        guard size <= 2 * vocabulary.count + 1024 else {
            throw fail("the largest token id is \(size - 1) for \(vocabulary.count) tokens (ids must be nearly dense)")
        }
        var tokens = [[UInt8]](repeating: [], count: size)
        var ids: [[UInt8]: Int32] = [:]
        for (text, id) in vocabulary {
            guard id >= 0 else { throw fail("token \"\(text)\" has a negative id") }
            if specialTokens[text] == id {
                tokens[Int(id)] = Array(text.utf8)
                continue
            }
            guard let bytes = bytes(ofTokenText: text) else { throw fail("token \"\(text)\" uses characters outside the byte-level alphabet") }
            tokens[Int(id)] = bytes
            ids[bytes] = id
        }
        var byteIDs = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            guard let id = ids[[UInt8(byte)]] else { throw fail("the vocabulary lacks the byte token \"\(byteToCharacter[byte])\" (byte \(byte))") }
            byteIDs[byte] = id
        }
        var merges: [UInt64: (rank: Int32, merged: Int32)] = [:]
        var list: [(Int32, Int32)] = []
        for (rank, (left, right)) in mergeTexts.enumerated() {
            guard let leftBytes = bytes(ofTokenText: left), let rightBytes = bytes(ofTokenText: right),
                  let leftID = ids[leftBytes], let rightID = ids[rightBytes], let merged = ids[leftBytes + rightBytes] else {
                throw fail("merge \(rank + 1) \"\(left) \(right)\" uses or makes a token missing from the vocabulary")
            }
            let key = UInt64(UInt32(bitPattern: leftID)) << 32 | UInt64(UInt32(bitPattern: rightID))
            if merges[key] == nil { merges[key] = (Int32(rank), merged) }
            list.append((leftID, rightID))
        }
        self.tokens = tokens
        self.ids = ids
        self.merges = merges
        self.mergeList = list
        self.specialTokens = specialTokens
        self.byteIDs = byteIDs
        beginID = specialTokens["<s>"]
        endID = specialTokens["</s>"]
        paddingID = specialTokens["<pad>"]
        maskID = specialTokens["<mask>"]
        if let postProcessor {
            self.postProcessor = postProcessor
        } else if let beginID, let endID {
            self.postProcessor = .roberta(begin: beginID, end: endID)
        } else {
            self.postProcessor = .none
        }
        if case .roberta(let begin, let end) = self.postProcessor, !(0..<Int32(size)).contains(begin) || !(0..<Int32(size)).contains(end) {
            throw fail("the post-processor's special tokens \(begin) and \(end) are outside the vocabulary")
        }
    }

    public var vocabularySize: Int { tokens.count }

    /// Token ids of `text`, with the post-processor's special tokens unless `addSpecialTokens` is false.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int32] {
        var cache: [[UInt8]: [Int32]] = [:]
        return encode(text, addSpecialTokens: addSpecialTokens, cache: &cache)
    }

    /// As `encode(_:)`, reusing `cache` (piece bytes → ids) across calls of one thread.
    /// `addPrefixSpace` is tokenizers' `ByteLevel(add_prefix_space=True)`: every piece of text
    /// between special tokens gets a space in front unless it starts with one (how
    /// `RobertaTokenizer(add_prefix_space=True)` encodes the words of `is_split_into_words`).
    public func encode(_ text: String, addSpecialTokens: Bool = true, addPrefixSpace: Bool = false, cache: inout [[UInt8]: [Int32]]) -> [Int32] {
        var output: [Int32] = []
        if addSpecialTokens, case .roberta(let begin, _) = postProcessor { output.append(begin) }
        for segment in splitOnSpecialTokens(text) {
            switch segment {
            case .special(let id):
                output.append(id)
            case .text(let text):
                let piece = addPrefixSpace && !text.hasPrefix(" ") ? " " + text : text
                for bytes in gpt2PreTokenize(piece) {
                    if let known = cache[bytes] {
                        output.append(contentsOf: known)
                    } else {
                        let merged = merge(bytes)
                        if cache.count < 500_000 { cache[bytes] = merged }
                        output.append(contentsOf: merged)
                    }
                }
            }
        }
        if addSpecialTokens, case .roberta(_, let end) = postProcessor { output.append(end) }
        return output
    }

    /// Text of `ids` (invalid UTF-8 replaced by U+FFFD, as tokenizers' ByteLevel decoder does);
    /// special tokens are left out unless `skipSpecialTokens` is false.
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = true) throws -> String {
        var bytes: [UInt8] = []
        let specialIDs = Set(specialTokens.values)
        for id in ids {
            guard (0..<Int32(tokens.count)).contains(id) else {
                throw CorpusError.invalidInput(path: "decode", reason: "token id \(id) is outside the vocabulary 0..<\(tokens.count)")
            }
            if skipSpecialTokens, specialIDs.contains(id) { continue }
            bytes.append(contentsOf: tokens[Int(id)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    enum Segment {
        case text(Substring)
        case special(Int32)
    }

    /// Cuts the special tokens out of `text`: at each position the longest special token starting
    /// there wins, scanning left to right.
    func splitOnSpecialTokens(_ text: String) -> [Segment] {
        guard text.contains("<") else { return text.isEmpty ? [] : [.text(Substring(text))] }
        var segments: [Segment] = []
        var start = text.startIndex, index = text.startIndex
        let utf8 = text.utf8
        while index < text.endIndex {
            if utf8[index] == UInt8(ascii: "<") {
                var best: (String, Int32)?
                for (token, id) in specialTokens where text.utf8[index...].starts(with: token.utf8) {
                    if best == nil || token.utf8.count > best!.0.utf8.count { best = (token, id) }
                }
                if let (token, id) = best {
                    if start < index { segments.append(.text(text[start..<index])) }
                    segments.append(.special(id))
                    index = utf8.index(index, offsetBy: token.utf8.count)
                    start = index
                    continue
                }
            }
            index = utf8.index(after: index)
        }
        if start < text.endIndex { segments.append(.text(text[start...])) }
        return segments
    }

    /// BPE on one pre-tokenized piece: repeatedly merge the adjacent pair of lowest rank (leftmost
    /// first, all its non-overlapping occurrences left to right), as GPT-2 and tokenizers do.
    func merge(_ bytes: [UInt8]) -> [Int32] {
        var symbols = bytes.map { byteIDs[Int($0)] }
        while symbols.count > 1 {
            var bestRank = Int32.max, bestMerged: Int32 = -1, bestLeft: Int32 = 0, bestRight: Int32 = 0
            for position in 0..<(symbols.count - 1) {
                let key = UInt64(UInt32(bitPattern: symbols[position])) << 32 | UInt64(UInt32(bitPattern: symbols[position + 1]))
                if let entry = merges[key], entry.rank < bestRank {
                    (bestRank, bestMerged, bestLeft, bestRight) = (entry.rank, entry.merged, symbols[position], symbols[position + 1])
                }
            }
            guard bestMerged >= 0 else { break }
            var merged: [Int32] = []
            merged.reserveCapacity(symbols.count)
            var position = 0
            while position < symbols.count {
                if position + 1 < symbols.count, symbols[position] == bestLeft, symbols[position + 1] == bestRight {
                    merged.append(bestMerged)
                    position += 2
                } else {
                    merged.append(symbols[position])
                    position += 1
                }
            }
            symbols = merged
        }
        return symbols
    }
}
