import Foundation

/// Row-wise softmax and log-softmax over the last axis of a `[rows, columns]` view.
/// The row maximum is subtracted first, so large-magnitude rows neither overflow nor lose mass.

/// `y[r, :] = softmax(x[r, :])`.
public func softmaxForward(output y: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, rows: Int, columns: Int) {
    guard columns > 0 else { return }
    parallelFor(rows, grain: max(1, 8192 / columns)) { range in
        for row in range {
            let input = x + row * columns, output = y + row * columns
            let maximum = vectorMax(input, columns)
            let total = exponentiate(output: output, input: input, minus: maximum, count: columns)
            scale(output, count: columns, by: 1 / total)
        }
    }
}

/// `dx = y ⊙ (dy − Σ dy ⊙ y)` per row (overwrites dx).
public func softmaxBackward(
    dinput dx: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>, doutput dy: UnsafePointer<Float>, rows: Int, columns: Int
) {
    guard columns > 0 else { return }
    parallelFor(rows, grain: max(1, 8192 / columns)) { range in
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
    parallelFor(rows, grain: max(1, 8192 / columns)) { range in
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
    parallelFor(rows, grain: max(1, 8192 / columns)) { range in
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
    output y: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, scale: Float, mask: UnsafePointer<Float>,
    maskRow: (Int) -> Int, rows: Int, columns: Int
) {
    guard columns > 0 else { return }
    parallelFor(rows, grain: max(1, 8192 / columns)) { range in
        let scales = Vector(repeating: scale), zero = Vector(repeating: 0)
        for row in range {
            let input = x + row * columns, output = y + row * columns, masking = mask + maskRow(row) * columns
            var c = 0
            while c + vectorWidth <= columns {
                output.storeVector((input.vector(at: c) * scales + zero) + masking.vector(at: c), at: c)
                c += vectorWidth
            }
            while c < columns { output[c] = (input[c] * scale + 0) + masking[c]; c += 1 }
            let maximum = vectorMax(output, columns)
            let total = exponentiate(output: output, input: output, minus: maximum, count: columns)
            Kernels.scale(output, count: columns, by: 1 / total)
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
    parallelFor(rows, grain: max(1, 8192 / columns)) { range in
        let scales = Vector(repeating: scale), zero = Vector(repeating: 0)
        for row in range {
            let yRow = y + row * columns, dyRow = dy + row * columns, dxRow = dx + row * columns
            let dot = vectorDot(yRow, dyRow, columns)
            let dots = Vector(repeating: dot)
            var c = 0
            while c + vectorWidth <= columns {
                dxRow.storeVector(yRow.vector(at: c) * (dyRow.vector(at: c) - dots) * scales + zero, at: c)
                c += vectorWidth
            }
            while c < columns { dxRow[c] = yRow[c] * (dyRow[c] - dot) * scale + 0; c += 1 }
        }
    }
}
