import CorpusIO
import Foundation

/// Prepared training data: fixed rows of `sequenceLength` token ids in binary shards (uint16 when
/// the vocabulary fits, else int32, little-endian, row after row) described by `index.json`.
public struct TokenRowsIndex: Codable, Equatable, Sendable {
    public struct Shard: Codable, Equatable, Sendable {
        public var file: String
        public var rows: Int
    }
    public struct Split: Codable, Equatable, Sendable {
        public var rows: Int
        public var documents: Int
        public var tokens: Int
        public var shards: [Shard]
    }

    public var format = "bertin-token-rows"
    public var version = 1
    public var sequenceLength: Int
    /// "uint16" or "int32".
    public var dtype: String
    public var vocabularySize: Int
    public var specialTokenIDs: [Int32]
    /// nil when the tokenizer has no `<mask>` (GPT-2's): such rows are for causal LM only.
    public var maskTokenID: Int32?
    public var seed: UInt64
    public var splits: [String: Split]

    enum CodingKeys: String, CodingKey {
        case format, version, dtype, seed, splits
        case sequenceLength = "sequence_length", vocabularySize = "vocab_size"
        case specialTokenIDs = "special_token_ids", maskTokenID = "mask_token_id"
    }

    public var bytesPerToken: Int { dtype == "uint16" ? 2 : 4 }
}

/// The rows of one split, memory-mapped shard by shard.
public final class TokenRows: @unchecked Sendable {
    public let index: TokenRowsIndex
    public let split: String
    public let count: Int
    private let shards: [(data: Data, firstRow: Int, rows: Int)]

    /// Opens `directory/index.json` and the shards of `split` ("train" or "eval"), checking their sizes.
    /// The index of a token-rows folder, checked to be one this build reads.
    public static func index(in directory: String) throws -> TokenRowsIndex {
        let indexPath = URL(fileURLWithPath: directory).appendingPathComponent("index.json").path
        guard let data = FileManager.default.contents(atPath: indexPath) else {
            if FileManager.default.fileExists(atPath: URL(fileURLWithPath: directory).appendingPathComponent(".progress/settings.json").path) {
                throw CorpusError.unreadableFile(path: indexPath, reason: "missing: bertin prepare has not finished every input file here; rerun the same command to complete it")
            }
            throw CorpusError.unreadableFile(path: indexPath, reason: "cannot read the file (missing? run bertin prepare first)")
        }
        let index: TokenRowsIndex
        do { index = try JSONDecoder().decode(TokenRowsIndex.self, from: data) } catch {
            throw CorpusError.invalidInput(path: indexPath, reason: "is not a token-rows index: \(error)")
        }
        guard index.format == "bertin-token-rows", index.version == 1, ["uint16", "int32"].contains(index.dtype) else {
            throw CorpusError.invalidInput(path: indexPath, reason: "format \(index.format) v\(index.version) \(index.dtype) is not one this build reads")
        }
        return index
    }

    public init(directory: String, split: String) throws {
        let indexPath = URL(fileURLWithPath: directory).appendingPathComponent("index.json").path
        let index = try Self.index(in: directory)
        guard let description = index.splits[split] else {
            throw CorpusError.invalidInput(path: indexPath, reason: "has no split \"\(split)\" (it has \(index.splits.keys.sorted()))")
        }
        var shards: [(Data, Int, Int)] = []
        var first = 0
        for shard in description.shards {
            let path = URL(fileURLWithPath: directory).appendingPathComponent(shard.file).path
            guard let bytes = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else {
                throw CorpusError.unreadableFile(path: path, reason: "cannot read the shard (missing?)")
            }
            // Checked arithmetic: the row count and the length come from the index.
            let (rowBytes, overflowA) = index.sequenceLength.multipliedReportingOverflow(by: index.bytesPerToken)
            let (expected, overflowB) = shard.rows.multipliedReportingOverflow(by: rowBytes)
            guard shard.rows >= 0, index.sequenceLength > 0, !overflowA, !overflowB, bytes.count == expected else {
                throw CorpusError.invalidInput(path: path, reason: "holds \(bytes.count) bytes, the index promises \(shard.rows) rows = \(expected) bytes (truncated?)")
            }
            shards.append((bytes, first, shard.rows))
            first += shard.rows
        }
        self.index = index
        self.split = split
        self.count = first
        self.shards = shards
    }

    public var sequenceLength: Int { index.sequenceLength }

    /// Row `row` (0 ..< count) as token ids.
    public func row(_ row: Int) -> [Int32] {
        precondition((0..<count).contains(row), "row \(row) is outside 0..<\(count)")
        var low = 0, high = shards.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if shards[middle].firstRow <= row { low = middle } else { high = middle - 1 }
        }
        let shard = shards[low]
        let length = index.sequenceLength, offset = (row - shard.firstRow) * length
        return shard.data.withUnsafeBytes { raw in
            if index.dtype == "uint16" {
                return (0..<length).map { Int32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * (offset + $0), as: UInt16.self))) }
            }
            return (0..<length).map { Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * (offset + $0), as: Int32.self)) }
        }
    }
}
