import Foundation

/// Row-wise softmax and log-softmax over the last axis of a `[rows, columns]` view.
/// The row maximum is subtracted first, so large-magnitude rows neither overflow nor lose mass.

/// `y[r, :] = softmax(x[r, :])`.
public func softmaxForward(output y: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, rows: Int, columns: Int) {
    guard columns > 0 else { return }
    parallelFor(rows, grain: rowGrain(columns)) { range in
        for row in range {
            let input = x + row * columns, output = y + row * columns
            let maximum = vectorMax(input, columns)
            let total = exponentiate(output: output, input: input, minus: maximum, count: columns)
            scale(output, by: 1 / total, count: columns)
        }
    }
}

/// `dx = y ⊙ (dy − Σ dy ⊙ y)` per row (overwrites dx).
public func softmaxBackward(
    dinput dx: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>, doutput dy: UnsafePointer<Float>, rows: Int, columns: Int
) {
    guard columns > 0 else { return }
    parallelFor(rows, grain: rowGrain(columns)) { range in
        for row in range {
            let yRow = y + row * columns, dyRow = dy + row * columns, dxRow = dx + row * columns
            let dot = vectorDot(yRow, dyRow, columns)
            let dots = Vector(repeating: dot)
            var c = 0
            while c + vectorWidth <= columns {
                dxRow.storeVector(yRow.vector(at: c) * (dyRow.vector(at: c) - dots), at: c)
                c += vectorWidth
            }
            while c < columns { dxRow[c] = yRow[c] * (dyRow[c] - dot); c += 1 }
        }
    }
}

/// `y[r, :] = x[r, :] − logsumexp(x[r, :])`.
public func logSoftmaxForward(output y: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, rows: Int, columns: Int) {
    guard columns > 0 else { return }
    parallelFor(rows, grain: rowGrain(columns)) { range in
        for row in range {
            let input = x + row * columns, output = y + row * columns
            let maximum = vectorMax(input, columns)
            let logSum = maximum + log(sumOfExponentials(input, minus: maximum, count: columns))
            var c = 0
            let shift = Vector(repeating: logSum)
            while c + vectorWidth <= columns {
                output.storeVector(input.vector(at: c) - shift, at: c)
                c += vectorWidth
            }
            while c < columns { output[c] = input[c] - logSum; c += 1 }
        }
    }
}

/// `dx = dy − exp(y) · Σ dy` per row (overwrites dx).
public func logSoftmaxBackward(
    dinput dx: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>, doutput dy: UnsafePointer<Float>, rows: Int, columns: Int
) {
    guard columns > 0 else { return }
    parallelFor(rows, grain: rowGrain(columns)) { range in
        for row in range {
            let yRow = y + row * columns, dyRow = dy + row * columns, dxRow = dx + row * columns
            let total = vectorSum(dyRow, columns)
            _ = exponentiate(output: dxRow, input: yRow, minus: 0, count: columns)
            var c = 0
            let totals = Vector(repeating: total)
            while c + vectorWidth <= columns {
                dxRow.storeVector(dyRow.vector(at: c) - dxRow.vector(at: c) * totals, at: c)
                c += vectorWidth
            }
            while c < columns { dxRow[c] = dyRow[c] - dxRow[c] * total; c += 1 }
        }
    }
}

/// `y[r, :] = softmax(x[r, :] · scale + 0 + mask[maskRow(r), :])`: attention's scaling, additive
/// mask and softmax in one pass over the scores. Each element sees the operations of `affine`,
/// the broadcast add and `softmaxForward` in their order, so the result is the three apart bit for
/// bit, without writing and rereading two score-sized tensors.
public func maskedSoftmaxForward(
    output y: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, mask: UnsafePointer<Float>, maskRow: (Int) -> Int,
    scale: Float, rows: Int, columns: Int
) {
    guard columns > 0 else { return }
    parallelFor(rows, grain: rowGrain(columns)) { range in
        for row in range {
            maskedSoftmaxRow(output: y + row * columns, input: x + row * columns, count: columns, scale: scale,
                             mask: mask + maskRow(row) * columns)
        }
    }
}

/// Gradient of `maskedSoftmaxForward` with respect to the scores: `dx = (y ⊙ (dy − Σ dy ⊙ y)) · scale + 0`
/// per row, `softmaxBackward` then `affine`'s gradient in one pass (the mask is a constant).
public func maskedSoftmaxBackward(
    dinput dx: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>, doutput dy: UnsafePointer<Float>, scale: Float,
    rows: Int, columns: Int
) {
    guard columns > 0 else { return }
    parallelFor(rows, grain: rowGrain(columns)) { range in
        for row in range {
            maskedSoftmaxBackwardRow(dinput: dx + row * columns, output: y + row * columns, doutput: dy + row * columns,
                                     count: columns, scale: scale)
        }
    }
}

/// `maskedSoftmaxForward` on causal score rows `[rows, stride]` (row r's query at position
/// r mod `stride`, its mask row `maskRow(r)`) where only the first `visible(r)` columns were
/// computed: the columns after them are hidden by the mask, so their weight is exactly 0 and they
/// are neither read nor written. `visible(r)` must be a multiple of the lane width or `stride`,
/// and the row must see at least one key among them: the lanes then sum the same values in the
/// same order as over the whole row, and the row's weights are the whole row's bit for bit.
public func causalMaskedSoftmaxForward(
    scores: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>, maskRow: (Int) -> Int, visible: (Int) -> Int,
    scale: Float, rows: Int, stride: Int
) {
    guard stride > 0 else { return }
    parallelFor(rows, grain: rowGrain(stride)) { range in
        for row in range {
            let columns = visible(row)
            maskedSoftmaxRow(output: scores + row * stride, input: scores + row * stride, count: columns, scale: scale,
                             mask: mask + maskRow(row) * stride)
        }
    }
}

/// `maskedSoftmaxBackward` in place over the first `visible(r)` columns of causal rows (see
/// `causalMaskedSoftmaxForward`): `gradient` holds dy there on entry and the scores' gradient on exit.
public func causalMaskedSoftmaxBackward(
    gradient: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>, visible: (Int) -> Int, scale: Float, rows: Int, stride: Int
) {
    guard stride > 0 else { return }
    parallelFor(rows, grain: rowGrain(stride)) { range in
        for row in range {
            maskedSoftmaxBackwardRow(dinput: gradient + row * stride, output: y + row * stride, doutput: gradient + row * stride,
                                     count: visible(row), scale: scale)
        }
    }
}

/// One row of `maskedSoftmaxForward`; `output` may be `input` (each element is read before it is written).
@inline(__always)
func maskedSoftmaxRow(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int, scale: Float, mask: UnsafePointer<Float>) {
    let scales = Vector(repeating: scale), zero = Vector(repeating: 0)
    var c = 0
    while c + vectorWidth <= count {
        output.storeVector((input.vector(at: c) * scales + zero) + mask.vector(at: c), at: c)
        c += vectorWidth
    }
    while c < count { output[c] = (input[c] * scale + 0) + mask[c]; c += 1 }
    let maximum = vectorMax(output, count)
    let total = exponentiate(output: output, input: output, minus: maximum, count: count)
    Kernels.scale(output, by: 1 / total, count: count)
}

/// One row of `maskedSoftmaxBackward`; `dinput` may be `doutput` (the row's dot product is taken first).
@inline(__always)
func maskedSoftmaxBackwardRow(dinput dx: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>, doutput dy: UnsafePointer<Float>,
                              count: Int, scale: Float) {
    let dot = vectorDot(y, dy, count)
    let dots = Vector(repeating: dot), scales = Vector(repeating: scale), zero = Vector(repeating: 0)
    var c = 0
    while c + vectorWidth <= count {
        dx.storeVector(y.vector(at: c) * (dy.vector(at: c) - dots) * scales + zero, at: c)
        c += vectorWidth
    }
    while c < count { dx[c] = y[c] * (dy[c] - dot) * scale + 0; c += 1 }
}
