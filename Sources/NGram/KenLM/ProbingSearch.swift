import CorpusIO
/// Where each part of kenlm's probing form lies (lm/vocab.cc, lm/search_hashed.cc), as byte
/// offsets from the start of the file: the header, the vocabulary (its bound, then a hash table of
/// 12-byte word entries), the unigrams (prob, backoff; word 0 is `<unk>`), one table of 16-byte
/// entries per middle order, and the longest order's table of 12-byte entries. Every table has
/// `max(n + 1, ⌊multiplier × n⌋)` buckets, the product taken in Float as kenlm takes it.
struct ProbingLayout {
    let header: KenLMBinaryHeader
    let vocabulary: Int
    let vocabularyBuckets: UInt64
    let unigrams: Int
    let middles: [(offset: Int, buckets: UInt64)]
    let longest: (offset: Int, buckets: UInt64)
    /// The end of the data structures: the vocabulary's strings follow when the file has them.
    let end: Int

    static let vocabularyEntry = 12, middleEntry = 16, longestEntry = 12

    static func buckets(_ entries: UInt64, _ multiplier: Float) -> UInt64 {
        max(entries + 1, UInt64(multiplier * Float(entries)))
    }

    init(header: KenLMBinaryHeader) {
        self.header = header
        let counts = header.counts, multiplier = header.probingMultiplier
        vocabulary = header.size
        vocabularyBuckets = Self.buckets(counts[0], multiplier)
        var offset = vocabulary + 8 + Int(vocabularyBuckets) * Self.vocabularyEntry
        unigrams = offset
        offset += (Int(counts[0]) + 1) * 8
        var middles: [(Int, UInt64)] = []
        for n in 2..<counts.count {
            let buckets = Self.buckets(counts[n - 1], multiplier)
            middles.append((offset, buckets))
            offset += Int(buckets) * Self.middleEntry
        }
        self.middles = middles
        longest = (offset, Self.buckets(counts[counts.count - 1], multiplier))
        end = offset + Int(longest.buckets) * Self.longestEntry
    }
}

/// kenlm's probing search over memory laid out as `ProbingLayout` says: a mapped binary file, or
/// the image `ProbingBuilder` made from an ARPA file. Probabilities carry kenlm's flag in their
/// sign bit (clear: some longer n-gram ends with this one), so they are read with the sign set.
struct ProbingSearch: NGramSearch {
    typealias Node = UInt64
    let order: Int
    private let base: UnsafeRawPointer
    private let layout: ProbingLayout

    init(base: UnsafeRawPointer, layout: ProbingLayout) {
        self.base = base
        self.layout = layout
        order = layout.header.order
    }

    /// The number of word ids, `<unk>` included (the vocabulary's stored bound).
    var bound: UInt32 { base.loadUnaligned(fromByteOffset: layout.vocabulary + 4, as: UInt32.self) }
    var vocabularyVersion: UInt32 { base.loadUnaligned(fromByteOffset: layout.vocabulary, as: UInt32.self) }

    /// Linear probing from `key mod buckets`; key 0 marks an empty slot. Returns the value's address.
    /// At most one pass over the table: kenlm's tables always keep an empty slot, but a damaged
    /// file's may not, and a lookup must end anyway.
    @inline(__always)
    static func find(_ key: UInt64, in table: UnsafeRawPointer, buckets: UInt64, entrySize: Int) -> UnsafeRawPointer? {
        var slot = key % buckets
        for _ in 0..<buckets {
            let entry = table + Int(slot) * entrySize
            let stored = entry.loadUnaligned(as: UInt64.self)
            if stored == key { return entry + 8 }
            if stored == 0 { return nil }
            slot += 1
            if slot == buckets { slot = 0 }
        }
        return nil
    }

    /// Whether every word id the vocabulary table stores is below `limit`: a damaged file's may
    /// not be, and scoring such a word would read past the unigram table. One pass at load.
    func vocabularyIDs(below limit: UInt32) -> Bool {
        let table = base + layout.vocabulary + 8
        for slot in 0..<Int(layout.vocabularyBuckets) {
            let entry = table + slot * ProbingLayout.vocabularyEntry
            if entry.loadUnaligned(as: UInt64.self) != 0, (entry + 8).loadUnaligned(as: UInt32.self) >= limit { return false }
        }
        return true
    }

    @inline(__always)
    func index(ofWord bytes: UnsafeRawBufferPointer) -> UInt32 {
        let table = base + layout.vocabulary + 8
        guard let value = Self.find(KenLMHash.word(bytes), in: table, buckets: layout.vocabularyBuckets, entrySize: ProbingLayout.vocabularyEntry) else { return 0 }
        return value.loadUnaligned(as: UInt32.self)
    }

    @inline(__always)
    private static func entry(at address: UnsafeRawPointer) -> NGramEntry {
        let stored = address.loadUnaligned(as: UInt32.self)
        return NGramEntry(probability: Float(bitPattern: stored | 0x8000_0000),
                          backoff: address.loadUnaligned(fromByteOffset: 4, as: Float.self),
                          independentLeft: stored & 0x8000_0000 != 0)
    }

    @inline(__always)
    func unigram(_ word: UInt32) -> (entry: NGramEntry, node: UInt64) {
        (Self.entry(at: base + layout.unigrams + 8 * Int(word)), UInt64(word))
    }

    @inline(__always)
    func middle(_ orderMinus2: Int, _ word: UInt32, node: inout UInt64) -> NGramEntry? {
        node = KenLMHash.combine(node, word)
        let table = layout.middles[orderMinus2]
        guard let value = Self.find(node, in: base + table.offset, buckets: table.buckets, entrySize: ProbingLayout.middleEntry) else { return nil }
        return Self.entry(at: value)
    }

    @inline(__always)
    func longest(_ word: UInt32, node: UInt64) -> Float? {
        let key = KenLMHash.combine(node, word)
        guard let value = Self.find(key, in: base + layout.longest.offset, buckets: layout.longest.buckets, entrySize: ProbingLayout.longestEntry) else { return nil }
        return value.loadUnaligned(as: Float.self)
    }
}
