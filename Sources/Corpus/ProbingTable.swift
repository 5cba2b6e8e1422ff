/// A map from 64-bit hashes to values by linear probing in one flat array, as kenlm's probing
/// model stores n-grams.
///
/// The keys are already well-mixed hashes, so they index the table directly: no second hash (Swift's
/// Dictionary runs SipHash over every key, which was most of the n-gram lookup time) and one cache
/// miss per lookup in the common case. Key 0 marks an empty slot; a real key of 0 is stored as 1
/// (both sides of a lookup map it the same way, so only a collision between the two could confuse
/// them, as likely as any other 64-bit collision).
struct ProbingTable<Value> {
    private var keys: [UInt64]
    private var values: [Value]
    private let mask: Int
    private(set) var count = 0

    /// Room for `capacity` entries at a load factor of at most 1/2.
    init(capacity: Int, filler: Value) {
        var size = 16
        while size < 2 * capacity { size <<= 1 }
        keys = [UInt64](repeating: 0, count: size)
        values = [Value](repeating: filler, count: size)
        mask = size - 1
    }

    @inline(__always)
    private static func stored(_ key: UInt64) -> UInt64 { key == 0 ? 1 : key }

    /// Inserts or replaces. The table never grows: callers size it from the ARPA header's counts
    /// and the loader checks each section's count, so at most `capacity` keys ever arrive; one more
    /// is a programming error.
    mutating func insert(_ key: UInt64, _ value: Value) {
        let key = Self.stored(key)
        var slot = Int(truncatingIfNeeded: key) & mask
        while keys[slot] != 0 && keys[slot] != key { slot = (slot + 1) & mask }
        if keys[slot] == 0 {
            precondition(count < keys.count / 2, "ProbingTable is full")
            count += 1
        }
        keys[slot] = key
        values[slot] = value
    }

    @inline(__always)
    subscript(key: UInt64) -> Value? {
        let key = Self.stored(key)
        var slot = Int(truncatingIfNeeded: key) & mask
        while true {
            let found = keys[slot]
            if found == key { return values[slot] }
            if found == 0 { return nil }
            slot = (slot + 1) & mask
        }
    }
}
