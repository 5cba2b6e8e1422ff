import CorpusIO
/// kenlm's trie forms (lm/search_trie.cc, lm/trie.cc, lm/quantize.hh, lm/bhiksha.cc), read in
/// place from a mapped file:
/// - the vocabulary is the sorted MurmurHash64A of every word but `<unk>` (id = position + 1);
/// - unigrams are (prob, backoff, first child) records, one more than the words so each word's
///   children end where the next word's begin;
/// - each higher order is one bit-packed array of (word, values, first child) records sorted by
///   word within each parent, the n-gram's words stored newest first as the scorer walks them;
/// - values are floats (the probability's sign bit dropped, all are ≤ 0) or, quantised (`-q -b`),
///   indices into per-order tables of bin centres;
/// - with `-a`, the high bits of each child pointer move to a sorted offset array (Raj & Whittaker).
struct TrieSearch: NGramSearch {
    typealias Node = (begin: UInt64, end: UInt64)

    /// One bit-packed order: where its bits start and how a record is cut.
    struct Level {
        var bits: UnsafeRawPointer
        var totalBits: UInt64
        var valueBits: UInt64
        /// Child pointers: inline bits, and the offset array when pointers are compressed.
        var nextBits: UInt64
        var offsets: UnsafeBufferPointer<UInt64>?
        /// Quantisation tables of this order (probability, backoff), when quantised.
        var probabilityBins: UnsafePointer<Float>?
        var backoffBins: UnsafePointer<Float>?
        /// Records in this order: a child range read from a damaged file is checked against it.
        var entries: UInt64 = 0
    }

    let order: Int
    private let vocabulary: UnsafeBufferPointer<UInt64>
    private let unigrams: UnsafeRawPointer
    private let middles: [Level]
    private let longestLevel: Level
    private let wordBits: UInt64
    private let quantization: (probability: UInt64, backoff: UInt64)?
    /// The end of the data structures (the vocabulary's strings may follow).
    let end: Int

    static func requiredBits(_ value: UInt64) -> UInt64 { value == 0 ? 0 : UInt64(64 - value.leadingZeroBitCount) }

    /// kenlm's `ChopBits`: how many high pointer bits the offset array takes, minimising its size
    /// (64 bits an entry) against the inline bits saved, up to the file's configured maximum.
    static func chopBits(maxOffset: UInt64, maxNext: UInt64, configured: UInt64) -> UInt64 {
        let required = requiredBits(maxNext)
        var best: UInt64 = 0, lowest = Int64.max
        for chop in 0...min(required, configured) {
            let change = Int64(bitPattern: ((maxNext >> (required - chop)) &* 64) &- (maxOffset &* chop))
            if change < lowest { (lowest, best) = (change, chop) }
        }
        return best
    }

    init(file: UnsafeRawBufferPointer, header: KenLMBinaryHeader, path: String) throws {
        func fail(_ reason: String) -> CorpusError { .invalidInput(path: path, reason: reason) }
        let base = file.baseAddress!
        let counts = header.counts
        order = header.order
        var offset = header.size
        func need(_ bytes: Int, _ what: String) throws {
            guard offset + bytes <= file.count else {
                throw fail("truncated: the file has \(file.count) bytes; the \(what) ends at byte \(offset + bytes)")
            }
        }
        // Sorted vocabulary: its size (without <unk>), then the hashes.
        try need(8, "vocabulary")
        let words = Int(base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        guard UInt64(words) < counts[0] + 1 else { throw fail("the vocabulary lists \(words) words but the header counts \(counts[0]) unigrams") }
        try need(8 + 8 * Int(counts[0]), "vocabulary")
        vocabulary = UnsafeBufferPointer(start: (base + offset + 8).assumingMemoryBound(to: UInt64.self), count: words)
        offset += 8 + 8 * Int(counts[0])

        // Quantisation tables (version 2: probability bits, backoff bits), then unigrams.
        let quantStart = offset
        if header.structure.isQuantized {
            try need(8, "quantisation header")
            let version = base.load(fromByteOffset: offset, as: UInt8.self)
            guard version == 2 else { throw fail("quantisation version \(version); kenlm 0.3.0 writes 2") }
            let probability = UInt64(base.load(fromByteOffset: offset + 1, as: UInt8.self))
            let backoff = UInt64(base.load(fromByteOffset: offset + 2, as: UInt8.self))
            guard (1...25).contains(probability), (1...25).contains(backoff) else { throw fail("quantisation bits \(probability)/\(backoff) out of 1...25") }
            quantization = (probability, backoff)
            let table = (1 << probability) * 4, middleTables = table + (1 << backoff) * 4
            offset += (order - 2) * Int(middleTables) + Int(table) + 8
        } else {
            quantization = nil
        }
        try need((Int(counts[0]) + 2) * 16, "unigram array")
        unigrams = base + offset
        offset += (Int(counts[0]) + 2) * 16

        wordBits = Self.requiredBits(counts[0])
        var configuredPointerBits: UInt64 = 0
        if header.structure.hasPointerArray, order > 2 {
            try need(2, "pointer array header")
            let version = base.load(fromByteOffset: offset, as: UInt8.self)
            guard version == 0 else { throw fail("pointer array version \(version); kenlm 0.3.0 writes 0") }
            configuredPointerBits = UInt64(base.load(fromByteOffset: offset + 1, as: UInt8.self))
        }
        var middles: [Level] = []
        let quantization = quantization
        func bins(_ index: Int) -> (UnsafePointer<Float>?, UnsafePointer<Float>?) {
            guard let quantization else { return (nil, nil) }
            let start = base + quantStart + 8 + index * ((1 << quantization.probability) + (1 << quantization.backoff)) * 4
            return (start.assumingMemoryBound(to: Float.self), (start + (1 << quantization.probability) * 4).assumingMemoryBound(to: Float.self))
        }
        for n in 2..<order {
            let entries = counts[n - 1], maxNext = counts[n]
            var level = Level(bits: base, totalBits: 0, valueBits: quantization.map { $0.probability + $0.backoff } ?? 63, nextBits: Self.requiredBits(maxNext))
            var arrayBytes = 0
            if header.structure.hasPointerArray {
                let chop = Self.chopBits(maxOffset: entries + 1, maxNext: maxNext, configured: configuredPointerBits)
                let required = Self.requiredBits(maxNext)
                level.nextBits = required - chop
                let arrayCount = Int(maxNext >> (required - chop)) + 1
                arrayBytes = 8 * (1 + arrayCount) + 7
                try need(arrayBytes, "\(n)-gram pointer array")
                // Aligned to 8 in memory; the mapping starts on a page, so the file offset decides.
                let aligned = (offset + 7) / 8 * 8
                level.offsets = UnsafeBufferPointer(start: (base + aligned + 8).assumingMemoryBound(to: UInt64.self), count: arrayCount)
            }
            level.totalBits = wordBits + level.valueBits + level.nextBits
            level.entries = entries
            let packedBytes = Int(((1 + entries) * level.totalBits + 7) / 8) + 8
            try need(arrayBytes + packedBytes, "\(n)-gram array")
            level.bits = base + offset + arrayBytes
            (level.probabilityBins, level.backoffBins) = bins(n - 2)
            middles.append(level)
            offset += arrayBytes + packedBytes
        }
        self.middles = middles
        var longest = Level(bits: base + offset, totalBits: 0, valueBits: quantization?.probability ?? 31, nextBits: 0)
        longest.totalBits = wordBits + longest.valueBits
        longest.entries = counts[order - 1]
        longest.probabilityBins = bins(order - 2).0
        let longestBytes = Int(((1 + counts[order - 1]) * longest.totalBits + 7) / 8) + 8
        try need(longestBytes, "\(order)-gram array")
        longestLevel = longest
        end = offset + longestBytes
    }

    @inline(__always)
    private static func read(_ bits: UnsafeRawPointer, _ offset: UInt64, _ length: UInt64) -> UInt64 {
        (bits.loadUnaligned(fromByteOffset: Int(offset >> 3), as: UInt64.self) >> (offset & 7)) & ((1 << length) - 1)
    }

    @inline(__always)
    private static func read32(_ bits: UnsafeRawPointer, _ offset: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: bits.loadUnaligned(fromByteOffset: Int(offset >> 3), as: UInt64.self) >> (offset & 7))
    }

    func index(ofWord bytes: UnsafeRawBufferPointer) -> UInt32 {
        let key = KenLMHash.word(bytes)
        var low = 0, high = vocabulary.count
        while low < high {
            let middle = (low + high) / 2
            if vocabulary[middle] < key { low = middle + 1 } else { high = middle }
        }
        return low < vocabulary.count && vocabulary[low] == key ? UInt32(low + 1) : 0
    }

    @inline(__always)
    func unigram(_ word: UInt32) -> (entry: NGramEntry, node: Node) {
        let record = unigrams + 16 * Int(word)
        let node = (record.loadUnaligned(fromByteOffset: 8, as: UInt64.self), record.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        let entry = NGramEntry(probability: record.loadUnaligned(as: Float.self), backoff: record.loadUnaligned(fromByteOffset: 4, as: Float.self),
                               independentLeft: node.0 == node.1)
        return (entry, node)
    }

    /// The record of `word` among the children `node` spans, by binary search (kenlm interpolates;
    /// keys are unique within a parent, so both find the same record).
    @inline(__always)
    private func find(_ word: UInt32, in level: Level, _ node: Node) -> UInt64? {
        // kenlm's files always give ranges inside the level; a damaged one's could point anywhere.
        guard node.begin <= node.end, node.end <= level.entries else { return nil }
        var low = node.begin, high = node.end
        let key = UInt64(word)
        while low < high {
            let middle = (low + high) / 2
            let found = Self.read(level.bits, middle * level.totalBits, wordBits)
            if found < key { low = middle + 1 } else if found > key { high = middle } else { return middle }
        }
        return nil
    }

    @inline(__always)
    func middle(_ orderMinus2: Int, _ word: UInt32, node: inout Node) -> NGramEntry? {
        let level = middles[orderMinus2]
        guard let index = find(word, in: level, node) else { return nil }
        let values = index * level.totalBits + wordBits
        let next = values + level.valueBits
        var begin = Self.read(level.bits, next, level.nextBits), end = Self.read(level.bits, next + level.totalBits, level.nextBits)
        if let offsets = level.offsets {
            // The high bits: the last offset entry at or below the record's index (and its successor's).
            var low = 0, high = offsets.count
            while low < high {
                let middle = (low + high) / 2
                if offsets[middle] <= index { low = middle + 1 } else { high = middle }
            }
            let beginHigh = low - 1
            var endHigh = beginHigh + 1
            while endHigh < offsets.count && offsets[endHigh] <= index + 1 { endHigh += 1 }
            endHigh -= 1
            begin |= UInt64(beginHigh) << level.nextBits
            end |= UInt64(endHigh) << level.nextBits
        }
        node = (begin, end)
        let probability: Float, backoff: Float
        if let probabilityBins = level.probabilityBins, let backoffBins = level.backoffBins, let quantization {
            backoff = backoffBins[Int(Self.read(level.bits, values, quantization.backoff))]
            probability = probabilityBins[Int(Self.read(level.bits, values + quantization.backoff, quantization.probability))]
        } else {
            probability = Float(bitPattern: Self.read32(level.bits, values) | 0x8000_0000)
            backoff = Float(bitPattern: Self.read32(level.bits, values + 31))
        }
        return NGramEntry(probability: probability, backoff: backoff, independentLeft: begin == end)
    }

    @inline(__always)
    func longest(_ word: UInt32, node: Node) -> Float? {
        guard let index = find(word, in: longestLevel, node) else { return nil }
        let values = index * longestLevel.totalBits + wordBits
        if let bins = longestLevel.probabilityBins, let quantization {
            return bins[Int(Self.read(longestLevel.bits, values, quantization.probability))]
        }
        return Float(bitPattern: Self.read32(longestLevel.bits, values) | 0x8000_0000)
    }
}
