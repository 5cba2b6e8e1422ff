/// Inverted dropout: element i is kept when its uniform draw is ≥ `probability`, and kept values
/// are scaled by 1 / (1 − probability). The keep mask is a pure function of (key, i), so the
/// backward pass regenerates it instead of storing it.

/// `out[i] = keep(i) ? x[i] / (1 − p) : 0`. Also the backward pass, with dy in and dx out.
///
/// Eight Philox blocks (32 elements) are drawn at once on lanes. The draw `unitFloat(w) ≥ p` is
/// tested as `w >> 8 ≥ ⌈p·2²⁴⌉` on integers, which is the same test: `unitFloat` is exact.
public func dropout(output out: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, probability: Float, key: RandomKey, count: Int) {
    let scale = 1 / (1 - probability)
    let threshold = SIMD8<UInt32>(repeating: UInt32((Double(probability) * 16_777_216).rounded(.up)))
    let blocks = (count + 3) / 4
    // Pieces are whole groups of 8 blocks, so every thread count draws the same words.
    let groups = (blocks + 7) / 8
    parallelFor(groups, grain: parallelGrain / 32) { range in  // groups of 8 blocks of 4 floats
        for group in range {
            let base = group * 32
            guard base + 32 <= count else {
                for block in group * 8..<blocks { dropoutBlock(x, count: count, probability: probability, scale: scale, key: key, block: block, into: out) }
                continue
            }
            let words = key.lanes(firstBlock: group * 8)
            // Lane b of word j belongs to element base + 4b + j: transpose through the stack.
            var interleaved = (SIMD8<UInt32>(), SIMD8<UInt32>(), SIMD8<UInt32>(), SIMD8<UInt32>())
            withUnsafeMutableBytes(of: &interleaved) { raw in
                let slots = raw.baseAddress!.assumingMemoryBound(to: UInt32.self)
                for b in 0..<8 {
                    slots[4 * b] = words.w0[b]
                    slots[4 * b + 1] = words.w1[b]
                    slots[4 * b + 2] = words.w2[b]
                    slots[4 * b + 3] = words.w3[b]
                }
                for offset in 0..<4 {
                    let i = base + 8 * offset
                    let draws = UnsafeRawPointer(slots + 8 * offset).loadUnaligned(as: SIMD8<UInt32>.self)
                    let kept = (draws &>> 8) .>= threshold
                    out.storeVector((x.vector(at: i) * scale).replacing(with: 0, where: .!kept), at: i)
                }
            }
        }
    }
}

/// One block of four elements, drawn alone (the run's last, partial group).
@inline(__always)
private func dropoutBlock(
    _ x: UnsafePointer<Float>, count: Int, probability: Float, scale: Float, key: RandomKey, block: Int,
    into out: UnsafeMutablePointer<Float>
) {
    let w = key.words(block: block)
    let base = block * 4
    let draws = (unitFloat(w.0), unitFloat(w.1), unitFloat(w.2), unitFloat(w.3))
    out[base] = draws.0 >= probability ? x[base] * scale : 0
    if base + 1 < count { out[base + 1] = draws.1 >= probability ? x[base + 1] * scale : 0 }
    if base + 2 < count { out[base + 2] = draws.2 >= probability ? x[base + 2] * scale : 0 }
    if base + 3 < count { out[base + 3] = draws.3 >= probability ? x[base + 3] * scale : 0 }
}
