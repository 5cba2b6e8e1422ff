/// The block of the gradient norm's partial sums: 65,536 floats (256 KiB), large enough that a
/// block's sum is a long streaming loop and the partials of a 6B model stay few (about 92,000),
/// small enough to spread over threads. ZeRO shard boundaries fall on multiples of it
/// (`ParameterShards`), so a sharded norm adds the very partials a replicated one does.
public let normBlock = 1 << 16

/// √Σ g² accumulated in Double, in fixed blocks so the sum does not depend on the thread count.
public func globalNorm(_ values: UnsafeMutableBufferPointer<Float>) -> Double {
    normPartials(values, range: 0..<values.count).reduce(0, +).squareRoot()
}

/// Σ g² of each `normBlock`-float block of `values` that `range` covers (its bounds
/// are block multiples or the end of `values`), in Double and block order: adding every block's
/// partial in order gives the same bits however the blocks were split among threads or ranks.
public func normPartials(_ values: UnsafeMutableBufferPointer<Float>, range: Range<Int>) -> [Double] {
    let block = normBlock
    let first = range.lowerBound / block
    let blocks = (range.upperBound - range.lowerBound + block - 1) / block
    var partial = [Double](repeating: 0, count: blocks)
    let base = values.baseAddress!
    partial.withUnsafeMutableBufferPointer { sums in
        parallelFor(blocks) { indices in
            var index = indices.lowerBound
            // Eight full blocks side by side: each keeps its own sum in element order (so the same
            // bits as one block at a time) while the eight chains hide the add latency that bound
            // a single chain (2% of a GPT-J step).
            while index + 8 <= indices.upperBound, (first + index + 8) * block <= range.upperBound {
                let start = base + (first + index) * block
                var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0
                for i in 0..<block {
                    s0 += Double(start[i]) * Double(start[i])
                    s1 += Double(start[block + i]) * Double(start[block + i])
                    s2 += Double(start[2 * block + i]) * Double(start[2 * block + i])
                    s3 += Double(start[3 * block + i]) * Double(start[3 * block + i])
                    s4 += Double(start[4 * block + i]) * Double(start[4 * block + i])
                    s5 += Double(start[5 * block + i]) * Double(start[5 * block + i])
                    s6 += Double(start[6 * block + i]) * Double(start[6 * block + i])
                    s7 += Double(start[7 * block + i]) * Double(start[7 * block + i])
                }
                for (offset, sum) in [s0, s1, s2, s3, s4, s5, s6, s7].enumerated() { sums[index + offset] = sum }
                index += 8
            }
            while index < indices.upperBound {
                var sum = 0.0
                for i in ((first + index) * block)..<min(range.upperBound, (first + index + 1) * block) { sum += Double(base[i]) * Double(base[i]) }
                sums[index] = sum
                index += 1
            }
        }
    }
    return partial
}
