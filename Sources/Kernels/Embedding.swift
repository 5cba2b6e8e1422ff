/// Row gather from a `[rows, columns]` table and its scatter-add gradient.
/// Indices must already be validated to lie in `0..<rows`.

/// `out[n, :] = table[indices[n], :]`.
public func embeddingForward(
    output out: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>, indices: UnsafePointer<Int32>, columns: Int, count: Int
) {
    parallelFor(count, grain: rowGrain(columns)) { range in
        for n in range {
            (out + n * columns).update(from: table + Int(indices[n]) * columns, count: columns)
        }
    }
}

/// `dtable[indices[n], :] += dout[n, :]`, except for rows whose index is `skipped` (PyTorch's
/// `padding_idx`: the padding row gets no gradient from the lookup). Threads own column blocks
/// and each walks the indices in order, so repeated indices are summed in the same order at any
/// thread count.
public func embeddingBackward(
    dtable: UnsafeMutablePointer<Float>, doutput dout: UnsafePointer<Float>, indices: UnsafePointer<Int32>, skipping skipped: Int32? = nil,
    columns: Int, count: Int
) {
    let skipped = skipped ?? -1
    let block = columnBlock
    let blocks = (columns + block - 1) / block
    parallelFor(blocks) { range in
        for piece in range {
            let start = piece * block, width = min(block, columns - start)
            for n in 0..<count where indices[n] != skipped {
                let target = dtable + Int(indices[n]) * columns + start
                let source = dout + n * columns + start
                for c in 0..<width { target[c] += source[c] }
            }
        }
    }
}
