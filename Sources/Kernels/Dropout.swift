/// Inverted dropout: element i is kept when its uniform draw is ≥ `probability`, and kept values
/// are scaled by 1 / (1 − probability). The keep mask is a pure function of (key, i), so the
/// backward pass regenerates it instead of storing it.

/// `out[i] = keep(i) ? x[i] / (1 − p) : 0`. Also the backward pass, with dy in and dx out.
public func dropout(_ x: UnsafePointer<Float>, count: Int, probability: Float, key: RandomKey, into out: UnsafeMutablePointer<Float>) {
    let scale = 1 / (1 - probability)
    let blocks = (count + 3) / 4
    parallelFor(blocks, grain: 2048) { range in
        for block in range {
            let w = key.words(block: block)
            let base = block * 4
            let draws = (unitFloat(w.0), unitFloat(w.1), unitFloat(w.2), unitFloat(w.3))
            out[base] = draws.0 >= probability ? x[base] * scale : 0
            if base + 1 < count { out[base + 1] = draws.1 >= probability ? x[base + 1] * scale : 0 }
            if base + 2 < count { out[base + 2] = draws.2 >= probability ? x[base + 2] * scale : 0 }
            if base + 3 < count { out[base + 3] = draws.3 >= probability ? x[base + 3] * scale : 0 }
        }
    }
}
