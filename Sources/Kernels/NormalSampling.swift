import Foundation

/// `out[i] = mean + standardDeviation · z_i` with z_i standard normal, from the counter-based
/// generator: element i depends only on (key, i), so initialisation is the same at any thread count.
/// Box–Muller in Double on each block's four words gives two pairs of normals; it runs once per
/// parameter at initialisation, so clarity wins over speed here.
public func fillNormal(_ out: UnsafeMutablePointer<Float>, count: Int, mean: Float, standardDeviation: Float, key: RandomKey) {
    let blocks = (count + 3) / 4
    parallelFor(blocks, grain: parallelGrain / 4) { range in  // blocks of 4 floats
        for block in range {
            let w = key.words(block: block)
            let (z0, z1) = boxMuller(w.0, w.1)
            let (z2, z3) = boxMuller(w.2, w.3)
            let base = block * 4
            for (offset, z) in [z0, z1, z2, z3].enumerated() where base + offset < count {
                out[base + offset] = mean + standardDeviation * Float(z)
            }
        }
    }
}

/// Two independent standard normals from two uniform words; u1 lies in (0, 1] so log(u1) is finite.
@inline(__always)
func boxMuller(_ first: UInt32, _ second: UInt32) -> (Double, Double) {
    let u1 = (Double(first) + 1) / 4_294_967_296.0
    let u2 = Double(second) / 4_294_967_296.0
    let radius = (-2 * Foundation.log(u1)).squareRoot()
    return (radius * cos(2 * Double.pi * u2), radius * sin(2 * Double.pi * u2))
}
