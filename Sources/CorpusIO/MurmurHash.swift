/// The hashes of kenlm's binary formats, bit for bit: a word is found by MurmurHash64A of its bytes
/// (seed 0, kenlm's `HashForVocab`), and the probing tables key an n-gram by folding its word ids
/// into the last word's id with `combineWordHash`, newest word first (kenlm's `CombineWordHash`).
public enum KenLMHash {
    /// Austin Appleby's MurmurHash64A over little-endian 8-byte blocks, as kenlm's util/murmur_hash.cc.
    @inlinable @inline(__always)
    public static func word(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let m: UInt64 = 0xC6A4_A793_5BD1_E995
        let count = bytes.count
        var h: UInt64 = UInt64(count) &* m
        var offset = 0
        while offset + 8 <= count {
            var k = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            k = k &* m
            k ^= k >> 47
            k = k &* m
            h ^= k
            h = h &* m
            offset += 8
        }
        let tail = count & 7
        if tail > 0 {
            for index in stride(from: tail - 1, through: 0, by: -1) {
                h ^= UInt64(bytes[offset + index]) << (8 * UInt64(index))
            }
            h = h &* m
        }
        h ^= h >> 47
        h = h &* m
        h ^= h >> 47
        return h
    }

    public static func word(_ text: String) -> UInt64 {
        var text = text
        return text.withUTF8 { word(UnsafeRawBufferPointer($0)) }
    }

    /// Extends an n-gram's key by the word before it.
    @inlinable @inline(__always)
    public static func combine(_ current: UInt64, _ next: UInt32) -> UInt64 {
        (current &* 8_978_948_897_894_561_157) ^ ((1 &+ UInt64(next)) &* 17_894_857_484_156_487_943)
    }

    /// kenlm keeps `<unk>` (and `<UNK>`) out of its vocabulary tables: both are word 0.
    public static let unknown = word("<unk>")
    public static let unknownCapitalised = word("<UNK>")
}
