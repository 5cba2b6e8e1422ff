import Kernels

/// Seeded mutations of a seed file's bytes, the kinds that break parsers: flipped bits, cut files,
/// spliced and duplicated ranges, length and count fields made huge, -1 or zero, and deep nesting.
/// The same seed gives the same inputs, so a failure found once is found again.
public struct Mutator {
    var generator: SplitMix64

    public init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(generator.next() % UInt64(bound)) }

    /// 1 to 4 mutations of `seed`.
    public mutating func mutate(_ seed: [UInt8]) -> [UInt8] {
        var bytes = seed
        for _ in 0...below(4) { apply(&bytes) }
        return bytes
    }

    mutating func apply(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { bytes = Array("{\"".utf8); return }
        switch below(9) {
        case 0:  // a few flipped bits
            for _ in 0...below(8) { bytes[below(bytes.count)] ^= UInt8(1) << UInt8(below(8)) }
        case 1:  // an interesting byte
            bytes[below(bytes.count)] = [0x00, 0xFF, 0x7F, 0x80, 0x0A, 0x22, 0x5B, 0x7B][below(8)]
        case 2:  // truncated
            bytes.removeLast(below(bytes.count) + 1)
        case 3:  // a range removed
            let start = below(bytes.count), end = min(bytes.count, start + 1 + below(256))
            bytes.removeSubrange(start..<end)
        case 4:  // a range copied elsewhere (splice)
            let start = below(bytes.count), end = min(bytes.count, start + 1 + below(512))
            bytes.insert(contentsOf: bytes[start..<end], at: below(bytes.count))
        case 5:  // a range duplicated in place
            let start = below(bytes.count), end = min(bytes.count, start + 1 + below(64))
            bytes.insert(contentsOf: bytes[start..<end], at: end)
        case 6:  // a binary length or count field: 8 bytes made huge, -1, zero or one past a 32-bit size
            let start = below(max(1, bytes.count - 8)) & ~3
            let value: UInt64 = [.max, 1 << 60, 0x7FFF_FFFF, 0xFFFF_FFFF, 0, 1 << 32][below(6)]
            for i in 0..<min(8, bytes.count - start) { bytes[start + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        case 7:  // a decimal number in text made huge or negative
            let digits = bytes.indices.filter { (0x30...0x39).contains(bytes[$0]) }
            guard !digits.isEmpty else { bytes[below(bytes.count)] ^= 0x01; return }
            let at = digits[below(digits.count)]
            var end = at
            while end < bytes.count, (0x30...0x39).contains(bytes[end]) { end += 1 }
            let replacement = ["18446744073709551615", "-1", "99999999999999999999999", "0", "1e308", "-9223372036854775808"][below(6)]
            bytes.replaceSubrange(at..<end, with: Array(replacement.utf8))
        default:  // deep nesting (JSON arrays, objects, YAML flow lists)
            let opener = [Array("[".utf8), Array("{\"a\":".utf8), Array("- ".utf8)][below(3)]
            let depth = 1 + below(20_000)
            bytes.insert(contentsOf: Array(repeating: opener, count: depth).joined(), at: below(bytes.count))
        }
    }
}
