import CorpusIO
import Foundation

/// The header of a kenlm binary model (lm/binary_format.cc, format version 5): a sanity block that
/// pins the magic text and the machine's float, index and integer encodings, then the fixed-width
/// parameters and the n-gram counts, padded to 8 bytes. The data structures follow at `size`.
struct KenLMBinaryHeader: Equatable {
    /// kenlm's `ModelType`; the raw value is what the file stores.
    enum Structure: UInt32, CustomStringConvertible {
        case probing = 0, restProbing, trie, quantizedTrie, arrayTrie, quantizedArrayTrie

        var description: String {
            ["probing hash tables", "probing hash tables with rest costs", "trie", "trie with quantization",
             "trie with array-compressed pointers", "trie with quantization and array-compressed pointers"][Int(rawValue)]
        }
        var isTrie: Bool { rawValue >= 2 }
        var isQuantized: Bool { self == .quantizedTrie || self == .quantizedArrayTrie }
        var hasPointerArray: Bool { self == .arrayTrie || self == .quantizedArrayTrie }
        /// The search structure's version that kenlm 0.3.0 writes and accepts.
        var searchVersion: UInt32 { isTrie ? 1 : 0 }
    }

    var counts: [UInt64]
    var probingMultiplier: Float
    var structure: Structure
    var hasVocabulary: Bool

    var order: Int { counts.count }

    static let magic = Array("mmap lm http://kheafield.com/code format version 5\n".utf8) + [0, 0]
    static let incompleteMagic = Array("mmap lm http://kheafield.com/code incomplete\n".utf8)
    static let magicPrefix = Array("mmap lm http://kheafield.com/code".utf8)
    /// The sanity block: the magic padded to 8 bytes, 0.0, 1.0, −0.5, the indices 1 and UInt32.max,
    /// padding, and the 64-bit 1.
    static let sanity: [UInt8] = {
        var bytes = magic + [UInt8](repeating: 0, count: align8(magic.count) - magic.count)
        for float in [Float(0), 1, -0.5] { bytes += withUnsafeBytes(of: float.bitPattern.littleEndian, Array.init) }
        for index in [UInt32(1), .max, 0] { bytes += withUnsafeBytes(of: index.littleEndian, Array.init) }
        bytes += withUnsafeBytes(of: UInt64(1).littleEndian, Array.init)
        return bytes
    }()
    /// `FixedWidthParameters`: order (1 byte, padded), probing multiplier, model type, has-vocabulary
    /// (1 byte, padded), search version.
    static let fixedWidthSize = 20

    /// Bytes before the vocabulary: sanity, parameters and counts, padded to 8.
    var size: Int { Self.align8(Self.sanity.count + Self.fixedWidthSize + 8 * order) }

    static func align8(_ value: Int) -> Int { (value + 7) / 8 * 8 }

    /// Whether the bytes start like a kenlm binary file (of any version: the reader then names what is wrong).
    static func looksBinary(_ prefix: [UInt8]) -> Bool { prefix.starts(with: magicPrefix) }

    /// Reads and checks the header at the start of a mapped file.
    init(reading bytes: UnsafeRawBufferPointer, path: String) throws {
        func fail(_ reason: String) -> CorpusError { .invalidInput(path: path, reason: reason) }
        if bytes.starts(with: Self.incompleteMagic) { throw fail("this KenLM binary file did not finish building (build_binary stopped before the end)") }
        guard bytes.count > Self.sanity.count + Self.fixedWidthSize else { throw fail("too short for a KenLM binary file (\(bytes.count) bytes)") }
        guard bytes.starts(with: Self.sanity) else {
            if bytes.starts(with: Self.magicPrefix), !bytes.starts(with: Self.magic) {
                let version = String(decoding: bytes[Self.magicPrefix.count..<min(bytes.count, 60)].prefix { $0 != 0x0A }, as: UTF8.self)
                throw fail("KenLM binary \(version.trimmingCharacters(in: .whitespaces)); only format version 5 (kenlm since 2012) is read: rebuild it from the ARPA file")
            }
            throw fail("the KenLM binary header's test values do not match this machine (built on another architecture?)")
        }
        let fixed = Self.sanity.count
        let order = Int(bytes[fixed])
        probingMultiplier = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: fixed + 4, as: UInt32.self)))
        let type = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: fixed + 8, as: UInt32.self))
        hasVocabulary = bytes[fixed + 12] != 0
        let version = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: fixed + 16, as: UInt32.self))
        guard let structure = Structure(rawValue: type) else { throw fail("unknown KenLM model type \(type)") }
        guard structure != .restProbing else { throw fail("KenLM's probing-with-rest-costs form (build_binary -r) is not supported; build the default probing form") }
        guard version == structure.searchVersion else { throw fail("the \(structure) have version \(version); kenlm 0.3.0 writes \(structure.searchVersion)") }
        guard order >= 2 else { throw fail("KenLM binary of order \(order); an n-gram model has order 2 or more") }
        // kenlm's default is 1.5; a multiplier past 64 would size tables no file of this size holds.
        guard probingMultiplier >= 1, probingMultiplier <= 64 else { throw fail("probing multiplier \(probingMultiplier) is outside 1...64") }
        self.structure = structure
        let countsStart = fixed + Self.fixedWidthSize
        guard bytes.count >= countsStart + 8 * order else { throw fail("truncated inside the header") }
        counts = (0..<order).map { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: countsStart + 8 * $0, as: UInt64.self)) }
        guard counts.allSatisfy({ $0 > 0 && $0 < 1 << 57 }) else { throw fail("implausible n-gram counts \(counts)") }
        // Every n-gram takes at least 4 bytes of the file (a quantised trie's smallest entry), so
        // counts the file cannot hold are refused before any table is sized from them.
        guard counts.allSatisfy({ $0 <= UInt64(bytes.count) / 4 }) else {
            throw fail("the header declares \(counts) n-grams, more than a \(bytes.count)-byte file holds (truncated or damaged?)")
        }
    }

    init(counts: [UInt64], probingMultiplier: Float, structure: Structure, hasVocabulary: Bool) {
        self.counts = counts
        self.probingMultiplier = probingMultiplier
        self.structure = structure
        self.hasVocabulary = hasVocabulary
    }

    /// The header's bytes (`size` of them), as build_binary writes them.
    var bytes: [UInt8] {
        var out = Self.sanity
        var fixed = [UInt8](repeating: 0, count: Self.fixedWidthSize)
        fixed[0] = UInt8(order)
        withUnsafeBytes(of: probingMultiplier.bitPattern.littleEndian) { fixed.replaceSubrange(4..<8, with: $0) }
        withUnsafeBytes(of: structure.rawValue.littleEndian) { fixed.replaceSubrange(8..<12, with: $0) }
        fixed[12] = hasVocabulary ? 1 : 0
        withUnsafeBytes(of: structure.searchVersion.littleEndian) { fixed.replaceSubrange(16..<20, with: $0) }
        out += fixed
        for count in counts { out += withUnsafeBytes(of: count.littleEndian, Array.init) }
        out += [UInt8](repeating: 0, count: size - out.count)
        return out
    }
}
