/// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a
/// counter-based generator. The n-th random block is a pure function of (key, counter), so any
/// thread can produce any element's randomness and results never depend on the thread count.
public struct Philox4x32: Sendable {
    public var key: (UInt32, UInt32)

    public init(key: (UInt32, UInt32)) { self.key = key }

    /// Ten rounds over the 128-bit counter.
    @inline(__always)
    public func block(_ counter: (UInt32, UInt32, UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        var c = counter
        var k = key
        for round in 0..<10 {
            if round > 0 {
                k.0 &+= 0x9E37_79B9
                k.1 &+= 0xBB67_AE85
            }
            let p0 = UInt64(0xD251_1F53) * UInt64(c.0)
            let p1 = UInt64(0xCD9E_8D57) * UInt64(c.2)
            c = (UInt32(truncatingIfNeeded: p1 >> 32) ^ c.1 ^ k.0, UInt32(truncatingIfNeeded: p1),
                 UInt32(truncatingIfNeeded: p0 >> 32) ^ c.3 ^ k.1, UInt32(truncatingIfNeeded: p0))
        }
        return c
    }
}

/// Eight Philox blocks at once, for counters (`first`..., c1, c2, c3): the same rounds on lanes.
/// Word j of lane b equals word j of `block((first[b], c1, c2, c3))`.
public struct PhiloxLanes {
    public var w0, w1, w2, w3: SIMD8<UInt32>

    @inline(__always)
    public init(_ generator: Philox4x32, first: SIMD8<UInt32>, _ c1: UInt32, _ c2: UInt32, _ c3: UInt32) {
        var c0 = first, c1 = SIMD8<UInt32>(repeating: c1), c2 = SIMD8<UInt32>(repeating: c2), c3 = SIMD8<UInt32>(repeating: c3)
        var k0 = generator.key.0, k1 = generator.key.1
        for round in 0..<10 {
            if round > 0 {
                k0 &+= 0x9E37_79B9
                k1 &+= 0xBB67_AE85
            }
            // 32 × 32 → 64-bit products of zero-extended lanes (one vpmuludq per four lanes).
            let p0 = SIMD8<UInt64>(truncatingIfNeeded: c0) &* 0xD251_1F53
            let p1 = SIMD8<UInt64>(truncatingIfNeeded: c2) &* 0xCD9E_8D57
            let next0 = SIMD8<UInt32>(truncatingIfNeeded: p1 &>> 32) ^ c1 ^ k0
            let next2 = SIMD8<UInt32>(truncatingIfNeeded: p0 &>> 32) ^ c3 ^ k1
            c1 = SIMD8<UInt32>(truncatingIfNeeded: p1)
            c3 = SIMD8<UInt32>(truncatingIfNeeded: p0)
            c0 = next0
            c2 = next2
        }
        (w0, w1, w2, w3) = (c0, c1, c2, c3)
    }
}

/// Where a stream of randomness belongs: the run's seed, the training step, the device (replica)
/// and which tensor of the step (each dropout site gets its own `stream`).
public struct RandomKey: Sendable, Hashable {
    public var seed: UInt64
    public var step: UInt32
    public var device: UInt32
    public var stream: UInt32

    public init(seed: UInt64, step: Int = 0, device: Int = 0, stream: Int = 0) {
        self.seed = seed
        self.step = UInt32(truncatingIfNeeded: step)
        self.device = UInt32(truncatingIfNeeded: device)
        self.stream = UInt32(truncatingIfNeeded: stream)
    }

    /// The same key for another tensor of the same step and device.
    public func with(stream: Int) -> RandomKey {
        var copy = self
        copy.stream = UInt32(truncatingIfNeeded: stream)
        return copy
    }

    var generator: Philox4x32 {
        Philox4x32(key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
    }

    /// The words of blocks `first ..< first + 8` (elements `4·first ..< 4·first + 32`).
    @inline(__always)
    func lanes(firstBlock first: Int) -> PhiloxLanes {
        let blocks = SIMD8<UInt32>(repeating: UInt32(truncatingIfNeeded: first)) &+ SIMD8(0, 1, 2, 3, 4, 5, 6, 7)
        return PhiloxLanes(generator, first: blocks, stream, step, device)
    }

    /// Four random words for elements `4·block ..< 4·block + 4`.
    @inline(__always)
    func words(block: Int) -> (UInt32, UInt32, UInt32, UInt32) {
        generator.block((UInt32(truncatingIfNeeded: block), stream, step, device))
    }
}

extension RandomKey {
    /// The `index`-th uniform Double in [0, 1) of this key's stream (53 random bits): for decisions
    /// made once per item, such as keeping a document, that must not depend on threads or batching.
    public func uniform(at index: Int) -> Double {
        let w = words(block: index)
        let bits = (UInt64(w.0) << 21) ^ UInt64(w.1 >> 11)
        return Double(bits & ((1 << 53) - 1)) * 0x1p-53
    }
}

/// A uniform Float in [0, 1) from the top 24 bits of a word (every value exactly representable).
@inline(__always)
public func unitFloat(_ word: UInt32) -> Float {
    Float(word >> 8) * (1.0 / 16_777_216.0)
}

/// `out[i] = uniform[0, 1)` for element i of the stream named by `key`.
public func fillUniform(_ out: UnsafeMutablePointer<Float>, count: Int, key: RandomKey) {
    let blocks = (count + 3) / 4
    parallelFor(blocks, grain: parallelGrain / 4) { range in  // blocks of 4 floats
        for block in range {
            let w = key.words(block: block)
            let base = block * 4
            out[base] = unitFloat(w.0)
            if base + 1 < count { out[base + 1] = unitFloat(w.1) }
            if base + 2 < count { out[base + 2] = unitFloat(w.2) }
            if base + 3 < count { out[base + 3] = unitFloat(w.3) }
        }
    }
}
