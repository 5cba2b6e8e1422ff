/// Row gather from a `[rows, columns]` table and its scatter-add gradient.
/// Indices must already be validated to lie in `0..<rows`.

/// `out[n, :] = table[indices[n], :]`.
public func embeddingForward(
    output out: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>, columns: Int, indices: UnsafePointer<Int32>, count: Int
) {
    parallelFor(count, grain: max(1, 16_384 / max(columns, 1))) { range in
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
    dtable: UnsafeMutablePointer<Float>, doutput dout: UnsafePointer<Float>, columns: Int, indices: UnsafePointer<Int32>, count: Int,
    skipping skipped: Int32? = nil
) {
    let skipped = skipped ?? -1
    let block = 64
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
