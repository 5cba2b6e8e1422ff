import CorpusIO
import Foundation

/// Memory that a model's search structure lives in when it was built here rather than mapped.
/// It is laid out as the binary file is (offsets count from the file's start; the header's bytes
/// stay zero here), so writing it out is one copy.
final class ModelImage: @unchecked Sendable {
    let bytes: UnsafeMutableRawBufferPointer
    let header: KenLMBinaryHeader
    /// The vocabulary's words in id order, each followed by a NUL (`<unk>` first), as kenlm
    /// appends them to a binary file.
    fileprivate(set) var words: [UInt8] = []

    /// Zeroed, as kenlm's tables expect (key 0 is an empty slot); calloc leaves untouched pages unmapped.
    init(size: Int, header: KenLMBinaryHeader) {
        bytes = UnsafeMutableRawBufferPointer(start: calloc(size, 1)!, count: size)
        self.header = header
    }

    deinit { free(bytes.baseAddress) }
}

/// Builds kenlm's probing form from an ARPA file in one streaming pass, exactly as kenlm's
/// `HashedSearch::InitializeFromARPA` does (lm/search_hashed.cc, lm/read_arpa.hh): the same
/// word ids, the same hash table slots, the same flags in sign bits. The image scores as kenlm
/// scores, and written after a header it is byte for byte what `build_binary probing` writes.
///
/// - Word ids follow the unigram section's order; `<unk>` (or `<UNK>`) is 0 and stays out of the
///   vocabulary table. Without one, it scores −100 as kenlm's default.
/// - A backoff of 0 (or none) is stored as −0.0 ("nothing extends this n-gram"); an n-gram that is
///   the context of a longer one gets +0.0 instead.
/// - A probability's sign bit is cleared when some longer n-gram ends with it.
/// - SRILM-pruned files, where an n-gram's suffix is missing, get kenlm's blank entries: the suffix
///   is inserted with the probability backed off from the next shorter one.
struct ProbingBuilder {
    let path: String
    let multiplier: Float

    struct Built {
        let image: ModelImage
        let layout: ProbingLayout
    }

    init(arpaPath path: String, multiplier: Float = 1.5) {
        self.path = path
        self.multiplier = multiplier
    }

    func build() throws -> Built {
        let reader = try LineReader(path: path)
        func fail(_ reason: String) -> CorpusError { .invalidInput(path: path, reason: "line \(reader.lineNumber): \(reason)") }

        // The \data\ section: the counts size every table.
        var counts: [UInt64] = []
        var sawData = false
        while true {
            guard let next = reader.nextLine() else { throw CorpusError.invalidInput(path: path, reason: "no \\1-grams: section (not an ARPA file, or truncated)") }
            let line = next.withUnsafeBufferPointer { ArraySlice(Self.trimmed($0)) }
            if line.isEmpty { continue }
            if line.elementsEqual("\\data\\".utf8) { sawData = true; continue }
            if line.starts(with: "ngram ".utf8) {
                let text = String(decoding: line.dropFirst(6), as: UTF8.self)
                let parts = text.split(separator: "=")
                guard parts.count == 2, let n = Int(parts[0].trimmingCharacters(in: .whitespaces)),
                      let count = UInt64(parts[1].trimmingCharacters(in: .whitespaces)), n == counts.count + 1 else {
                    throw fail("bad count line \"\(String(decoding: line, as: UTF8.self))\"")
                }
                counts.append(count)
                continue
            }
            if line.elementsEqual("\\1-grams:".utf8) { break }
            if line.starts(with: "\\".utf8), line.last == UInt8(ascii: ":") {
                throw fail("section \(String(decoding: line, as: UTF8.self)) before \\1-grams:")
            }
            if !sawData { continue }  // text before \data\ is a comment
            throw fail("unexpected text \"\(String(decoding: line.prefix(40), as: UTF8.self))\" outside an n-gram section")
        }
        guard sawData, !counts.isEmpty else { throw fail("\\1-grams: before a \\data\\ section with ngram counts") }
        guard counts.count >= 2 else { throw fail("a model of order \(counts.count); kenlm's structures need order 2 or more") }
        guard counts.count <= 6 else { throw fail("order \(counts.count): kenlm 0.3.0 is built for order 6 at most (KENLM_MAX_ORDER)") }
        guard counts.allSatisfy({ $0 > 0 }) else { throw fail("an order with no n-grams (counts \(counts))") }
        // Tables are sized from the declared counts before a line is read: a count the file cannot
        // hold (each n-gram line takes 4 bytes or more, and deflate expands at most 1032-fold) is
        // refused here instead of allocating for it.
        let fileBytes = UInt64((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        let backing = fileBytes * (reader.isGzip ? 1032 : 1) / 4 + 1
        guard counts.allSatisfy({ $0 <= backing }), counts.reduce(0, { $0 + min($1, backing) }) <= backing else {
            throw fail("the \\data\\ section declares \(counts) n-grams, more than a \(fileBytes)-byte file holds")
        }

        let header = KenLMBinaryHeader(counts: counts, probingMultiplier: multiplier, structure: .probing, hasVocabulary: true)
        let layout = ProbingLayout(header: header)
        let image = ModelImage(size: layout.end, header: header)
        let base = image.bytes.baseAddress!
        var tables = Tables(base: base, layout: layout)
        var words = Array("<unk>\0".utf8)
        var fields = Fields()

        // Unigrams.
        var bound: UInt32 = 1
        var sawUnknown = false
        var section = try readSection(reader, n: 1, declared: counts[0], fail: fail) { entry in
            try fields.split(entry, n: 1, isLongest: false, fail: fail)
            let word = fields.word(0, of: entry)
            let hash = KenLMHash.word(UnsafeRawBufferPointer(word))
            var id: UInt32 = 0
            if hash == KenLMHash.unknown || hash == KenLMHash.unknownCapitalised {
                sawUnknown = true
            } else {
                id = bound
                bound += 1
                try tables.insert(hash, table: -1, fail: fail).storeBytes(of: id, as: UInt32.self)
                words += word
                words.append(0)
            }
            let unigram = base + layout.unigrams + 8 * Int(id)
            unigram.storeBytes(of: fields.probability, as: Float.self)
            unigram.storeBytes(of: fields.backoff, toByteOffset: 4, as: Float.self)
        }
        (base + layout.vocabulary).storeBytes(of: 0, as: UInt32.self)
        (base + layout.vocabulary + 4).storeBytes(of: bound, as: UInt32.self)
        let search = ProbingSearch(base: base, layout: layout)
        guard search.index(ofWord: "<s>") != 0, search.index(ofWord: "</s>") != 0 else {
            throw CorpusError.invalidInput(path: path, reason: "the vocabulary lacks <s> or </s>")
        }

        // Higher orders, each section in turn.
        var ids = [UInt32](repeating: 0, count: counts.count)  // newest word first
        var keys = [UInt64](repeating: 0, count: counts.count)
        for n in 2...counts.count {
            guard let title = section else { break }
            guard title.elementsEqual("\\\(n)-grams:".utf8) else { throw fail("expected \\\(n)-grams:, found \"\(String(decoding: title.prefix(40), as: UTF8.self))\"") }
            let isLongest = n == counts.count
            section = try readSection(reader, n: n, declared: counts[n - 1], fail: fail) { entry in
                try fields.split(entry, n: n, isLongest: isLongest, fail: fail)
                for position in 0..<n {
                    let word = fields.word(position, of: entry)
                    let id = search.index(ofWord: UnsafeRawBufferPointer(word))
                    if id == 0, !(word.elementsEqual("<unk>".utf8) || word.elementsEqual("<UNK>".utf8)) {
                        throw fail("word \"\(String(decoding: word, as: UTF8.self))\" has no unigram")
                    }
                    ids[n - 1 - position] = id
                }
                try tables.add(n: n, ids: ids, keys: &keys, probability: fields.probability, backoff: fields.backoff, fail: fail)
            }
        }
        if let damage = reader.damage { throw CorpusError.invalidInput(path: path, reason: damage) }
        guard let end = section, end.elementsEqual("\\end\\".utf8) else {
            throw CorpusError.invalidInput(path: path, reason: "no \\end\\ marker (truncated ARPA file?)")
        }
        if !sawUnknown {
            // kenlm's default for a missing <unk>: log10 probability −100, backoff +0.
            (base + layout.unigrams).storeBytes(of: -100 as Float, as: Float.self)
            (base + layout.unigrams + 4).storeBytes(of: 0 as Float, as: Float.self)
        }
        image.words = words
        return Built(image: image, layout: layout)
    }

    /// Calls `entry` with each line of the section being read, trimmed and on the line's bytes in
    /// place (no slice retained or bounds-checked per field: this is the hot loop of a load), and
    /// checks their number against the header. Returns the line that ends the section (the next
    /// `\…` line), or nil when the file ends first.
    @inline(__always)
    private func readSection(_ reader: LineReader, n: Int, declared: UInt64, fail: (String) -> CorpusError,
                             _ entry: (UnsafeBufferPointer<UInt8>) throws -> Void) throws -> ArraySlice<UInt8>? {
        var listed: UInt64 = 0
        var end: ArraySlice<UInt8>?
        while end == nil, let next = reader.nextLine() {
            try next.withUnsafeBufferPointer { raw in
                let line = Self.trimmed(raw)
                if line.isEmpty { return }
                if line[0] == UInt8(ascii: "\\") { end = ArraySlice(line); return }
                guard listed < declared else { throw fail("more \(n)-grams than the \(declared) declared") }
                listed += 1
                try entry(line)
            }
        }
        if end != nil, listed != declared { throw fail("declares \(declared) \(n)-grams, lists \(listed)") }
        return end
    }

    /// The line without surrounding ASCII whitespace (a "\r" before the "\n" included).
    static func trimmed(_ line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0, end = line.count
        while end > start, line[end - 1] == 0x20 || (0x09...0x0D).contains(line[end - 1]) { end -= 1 }
        while start < end, line[start] == 0x20 || (0x09...0x0D).contains(line[start]) { start += 1 }
        return UnsafeBufferPointer(rebasing: line[start..<end])
    }
}

/// One ARPA entry's fields: the probability, the words' byte ranges, the backoff.
private struct Fields {
    var probability: Float = 0
    var backoff: Float = 0
    private var starts: [Int] = []
    private var ends: [Int] = []

    func word(_ position: Int, of line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: line[starts[position]..<ends[position]])
    }

    /// Splits on ARPA's spaces (space, tab, CR, LF), as kenlm's `kARPASpaces`.
    mutating func split(_ line: UnsafeBufferPointer<UInt8>, n: Int, isLongest: Bool, fail: (String) -> CorpusError) throws {
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        var index = line.startIndex
        while index < line.endIndex {
            while index < line.endIndex, Self.isSpace(line[index]) { index += 1 }
            guard index < line.endIndex else { break }
            let start = index
            while index < line.endIndex, !Self.isSpace(line[index]) { index += 1 }
            starts.append(start)
            ends.append(index)
        }
        guard starts.count == n + 1 || starts.count == n + 2, let probability = Self.float(line[starts[0]..<ends[0]]) else {
            throw fail("expected a log10 probability, \(n) words and an optional backoff")
        }
        guard probability <= 0 else { throw fail("positive log10 probability \(probability) (an IRSTLM bug; kenlm refuses it too)") }
        self.probability = probability
        starts.removeFirst()
        ends.removeFirst()
        backoff = -0.0
        if starts.count == n + 1 {
            let text = line[starts[n]..<ends[n]]
            guard let value = Self.float(text), value.isFinite else { throw fail("the backoff \"\(String(decoding: text, as: UTF8.self))\" is not a finite number") }
            guard !isLongest || value == 0 else { throw fail("a backoff (\(value)) on an n-gram of the highest order") }
            // kenlm: a zero backoff is stored as −0.0 until a longer n-gram shows it is a context.
            backoff = value == 0 ? -0.0 : value
        }
    }

    @inline(__always) private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    /// Correctly rounded, as kenlm's double-conversion parser: strtof on a NUL-terminated copy.
    private static func float(_ text: Slice<UnsafeBufferPointer<UInt8>>) -> Float? {
        guard !text.isEmpty, text.count < 64 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer -> Float? in
            var index = 0
            for byte in text { buffer[index] = CChar(bitPattern: byte); index += 1 }
            buffer[index] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtof(buffer.baseAddress!, &end)
            return end == buffer.baseAddress! + index ? value : nil
        }
    }
}

/// The probing image's tables while they are filled, and kenlm's per-n-gram bookkeeping.
private struct Tables {
    let base: UnsafeMutableRawPointer
    let layout: ProbingLayout
    private var filled: [UInt64]
    /// The suffixes of the n-gram being added, reused so no n-gram allocates.
    private var between: [UnsafeMutableRawPointer] = []

    init(base: UnsafeMutableRawPointer, layout: ProbingLayout) {
        self.base = base
        self.layout = layout
        filled = [UInt64](repeating: 0, count: layout.middles.count + 2)
        between.reserveCapacity(layout.header.order)
    }

    /// Table −1 is the vocabulary, 0..<middles.count the middle orders, middles.count the longest.
    private func table(_ index: Int) -> (start: UnsafeMutableRawPointer, buckets: UInt64, entrySize: Int) {
        if index == -1 { return (base + layout.vocabulary + 8, layout.vocabularyBuckets, ProbingLayout.vocabularyEntry) }
        if index == layout.middles.count { return (base + layout.longest.offset, layout.longest.buckets, ProbingLayout.longestEntry) }
        return (base + layout.middles[index].offset, layout.middles[index].buckets, ProbingLayout.middleEntry)
    }

    /// kenlm's `Insert`: the first empty slot from `key mod buckets` (no check for an equal key).
    mutating func insert(_ key: UInt64, table index: Int, fail: (String) -> CorpusError) throws -> UnsafeMutableRawPointer {
        let (start, buckets, size) = table(index)
        filled[index + 1] += 1
        guard filled[index + 1] < buckets else {
            throw fail("a probing table of \(buckets) buckets is full: too many n-grams missing their suffix (SRILM pruning) for kenlm's probing multiplier")
        }
        var slot = key % buckets
        while (start + Int(slot) * size).loadUnaligned(as: UInt64.self) != 0 {
            slot += 1
            if slot == buckets { slot = 0 }
        }
        let entry = start + Int(slot) * size
        entry.storeBytes(of: key, as: UInt64.self)
        return entry + 8
    }

    func find(_ key: UInt64, table index: Int) -> UnsafeMutableRawPointer? {
        let (start, buckets, size) = table(index)
        return ProbingSearch.find(key, in: start, buckets: buckets, entrySize: size).map { UnsafeMutableRawPointer(mutating: $0) }
    }

    private func unigram(_ word: UInt32) -> UnsafeMutableRawPointer { base + layout.unigrams + 8 * Int(word) }

    @inline(__always) private static func unsetSign(_ weights: UnsafeMutableRawPointer) {
        weights.storeBytes(of: weights.loadUnaligned(as: UInt32.self) & 0x7FFF_FFFF, as: UInt32.self)
    }

    /// kenlm's `SetExtension`: −0.0 becomes +0.0.
    @inline(__always) private static func setExtension(_ weights: UnsafeMutableRawPointer) {
        if weights.loadUnaligned(fromByteOffset: 4, as: UInt32.self) == 0x8000_0000 { weights.storeBytes(of: 0, toByteOffset: 4, as: UInt32.self) }
    }

    /// One n-gram (n ≥ 2) with its words newest first, as kenlm's `ReadNGrams` adds it.
    mutating func add(n: Int, ids: [UInt32], keys: inout [UInt64], probability: Float, backoff: Float, fail: (String) -> CorpusError) throws {
        keys[0] = KenLMHash.combine(UInt64(ids[0]), ids[1])
        for h in 1..<(n - 1) { keys[h] = KenLMHash.combine(keys[h - 1], ids[h + 1]) }
        let isLongest = n == layout.header.order
        let stored = Float(bitPattern: probability.bitPattern | 0x8000_0000)
        let value = try insert(keys[n - 2], table: isLongest ? layout.middles.count : n - 2, fail: fail)
        value.storeBytes(of: stored, as: Float.self)
        if !isLongest { value.storeBytes(of: backoff, toByteOffset: 4, as: Float.self) }

        // FindLower: the suffixes, longest first, down to the first one present (blanks inserted).
        between.removeAll(keepingCapacity: true)
        var lower = n - 3
        while true {
            if lower == -1 { between.append(unigram(ids[0])); break }
            if let found = find(keys[lower], table: lower) { between.append(found); break }
            let blank = try insert(keys[lower], table: lower, fail: fail)
            blank.storeBytes(of: 0x8000_0000 as UInt32, toByteOffset: 4, as: UInt32.self)  // backoff −0.0
            between.append(blank)
            lower -= 1
        }
        // AdjustLower: give blanks the probability backed off from the suffix that exists.
        if between.count > 1 {
            var prob = -abs(between.last!.loadUnaligned(as: Float.self))
            var basis = n - between.count
            var change = between.count - 2
            if basis == 1 {
                let context = unigram(ids[1])
                Self.setExtension(context)
                prob += context.loadUnaligned(fromByteOffset: 4, as: Float.self)
                between[change].storeBytes(of: prob, as: Float.self)
                basis = 2
                change -= 1
            }
            var backoffHash = UInt64(ids[1])
            if basis >= 2 { for i in 2...basis { backoffHash = KenLMHash.combine(backoffHash, ids[i]) } }
            while basis < n - 1 {
                if let context = find(backoffHash, table: basis - 2) {
                    Self.setExtension(context)
                    prob += context.loadUnaligned(fromByteOffset: 4, as: Float.self)
                }
                between[change].storeBytes(of: prob, as: Float.self)
                backoffHash = KenLMHash.combine(backoffHash, ids[basis + 1])
                basis += 1
                change -= 1
            }
        }
        for weights in between { Self.unsetSign(weights) }

        // The context (all words but the newest) gets +0.0 if its backoff was −0.0.
        if n == 2 {
            Self.setExtension(unigram(ids[1]))
        } else {
            var hash = UInt64(ids[1])
            for i in 2..<n { hash = KenLMHash.combine(hash, ids[i]) }
            guard let context = find(hash, table: n - 3) else {
                throw fail("the context of this \(n)-gram is not listed as a \(n - 1)-gram (every context must be)")
            }
            Self.setExtension(context)
        }
    }
}
