/// Reductions over the middle axis of a `[outer, length, inner]` view.
///
/// Every output element is summed over `length` in index order by one thread, whatever the
/// thread count: the partition is over outer rows and column ranges, never over `length`.

/// `out[o, i] = Σ_l x[o, l, i]` (overwrites `out`, or adds to it when `accumulate`).
public func sumMiddleAxis(
    output out: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, accumulate: Bool = false, outer: Int, length: Int, inner: Int
) {
    if inner == 1 {
        parallelFor(outer, grain: rowGrain(length)) { rows in
            for row in rows {
                let total = vectorSum(x + row * length, length)
                out[row] = accumulate ? out[row] + total : total
            }
        }
        return
    }
    // Column blocks of 64 keep each thread's running sums in cache while it walks the rows.
    let block = columnBlock
    let blocksPerRow = (inner + block - 1) / block
    parallelFor(outer * blocksPerRow, grain: rowGrain(length)) { pieces in
        for piece in pieces {
            let row = piece / blocksPerRow
            let start = (piece % blocksPerRow) * block
            let width = min(block, inner - start)
            let target = out + row * inner + start
            if !accumulate { target.update(repeating: 0, count: width) }
            let source = x + row * length * inner + start
            for l in 0..<length {
                let line = source + l * inner
                var i = 0
                while i + vectorWidth <= width {
                    target.storeVector(target.vector(at: i) + line.vector(at: i), at: i)
                    i += vectorWidth
                }
                while i < width { target[i] += line[i]; i += 1 }
            }
        }
    }
}

/// `out[o, i] = max_l x[o, l, i]` and the first `l` that attains it.
public func maxMiddleAxis(
    output out: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>, input x: UnsafePointer<Float>,
    outer: Int, length: Int, inner: Int
) {
    parallelFor(outer * inner, grain: rowGrain(length)) { range in
        for position in range {
            let row = position / inner, column = position % inner
            let base = x + row * length * inner + column
            var best = -Float.infinity, bestIndex = 0
            for l in 0..<length {
                let value = base[l * inner]
                // NaN wins, as in PyTorch: the maximum of anything with NaN is NaN.
                if value > best || value.isNaN && !best.isNaN { best = value; bestIndex = l }
            }
            out[position] = best
            argmax[position] = Int32(bestIndex)
        }
    }
}

/// Gradient of `maxMiddleAxis`: `dinput[o, argmax, i] = doutput[o, i]`, zero elsewhere (dinput
/// overwritten, as every activation gradient is).
public func maxMiddleAxisBackward(
    dinput dx: UnsafeMutablePointer<Float>, argmax: UnsafePointer<Int32>, doutput dout: UnsafePointer<Float>,
    outer: Int, length: Int, inner: Int
) {
    dx.update(repeating: 0, count: outer * length * inner)
    for position in 0..<(outer * inner) {
        let row = position / inner, column = position % inner
        dx[(row * length + Int(argmax[position])) * inner + column] = dout[position]
    }
}

/// `out[o, l, i] = x[o, i]`: spreads a reduced tensor back over the reduced axis.
public func broadcastMiddleAxis(
    output out: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, outer: Int, length: Int, inner: Int
) {
    parallelFor(outer * length, grain: rowGrain(inner)) { rows in
        for row in rows {
            let o = row / length
            (out + row * inner).update(from: x + o * inner, count: inner)
        }
    }
}

/// `out[r]` = the first column of row `r` of a `[rows, columns]` matrix holding its largest value,
/// NaNs passed over as a strict `>` scan from column 0 passes them (a NaN in column 0 wins, as
/// nothing compares greater). The row's maximum is found on lanes, then its first occurrence: the
/// scalar scan was 1% of a GPT-J step on a 50,400-word vocabulary.
public func argmaxRows(output: UnsafeMutablePointer<Int32>, input: UnsafePointer<Float>, rows: Int, columns: Int) {
    guard columns > 0 else { return }
    parallelFor(rows, grain: rowGrain(columns)) { range in
        for row in range {
            let x = input + row * columns
            guard !x[0].isNaN else { output[row] = 0; continue }
            let best = vectorMax(x, columns)  // the largest non-NaN value
            var column = 0
            while column < columns, x[column] != best { column += 1 }
            output[row] = Int32(column)
        }
    }
}
