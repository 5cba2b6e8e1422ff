import Foundation

/// Row-wise softmax and log-softmax over the last axis of a `[rows, columns]` view.
/// The row maximum is subtracted first, so large-magnitude rows neither overflow nor lose mass.

/// `y[r, :] = softmax(x[r, :])`.
public func softmaxForward(_ x: UnsafePointer<Float>, rows: Int, columns: Int, into y: UnsafeMutablePointer<Float>) {
    guard columns > 0 else { return }
    parallelFor(rows, grain: max(1, 8192 / columns)) { range in
        for row in range {
            let input = x + row * columns, output = y + row * columns
            let maximum = vectorMax(input, columns)
            var total: Float = 0
            for c in 0..<columns {
                let e = exp(input[c] - maximum)
                output[c] = e
                total += e
            }
            let inverse = 1 / total
            for c in 0..<columns { output[c] *= inverse }
        }
    }
}

/// `dx = y ⊙ (dy − Σ dy ⊙ y)` per row (overwrites dx).
public func softmaxBackward(
    y: UnsafePointer<Float>, dy: UnsafePointer<Float>, rows: Int, columns: Int, into dx: UnsafeMutablePointer<Float>
) {
    guard columns > 0 else { return }
    parallelFor(rows, grain: max(1, 8192 / columns)) { range in
        for row in range {
            let yRow = y + row * columns, dyRow = dy + row * columns, dxRow = dx + row * columns
            var dot: Float = 0
            for c in 0..<columns { dot += yRow[c] * dyRow[c] }
            for c in 0..<columns { dxRow[c] = yRow[c] * (dyRow[c] - dot) }
        }
    }
}

/// `y[r, :] = x[r, :] − logsumexp(x[r, :])`.
public func logSoftmaxForward(_ x: UnsafePointer<Float>, rows: Int, columns: Int, into y: UnsafeMutablePointer<Float>) {
    guard columns > 0 else { return }
    parallelFor(rows, grain: max(1, 8192 / columns)) { range in
        for row in range {
            let input = x + row * columns, output = y + row * columns
            let maximum = vectorMax(input, columns)
            var total: Float = 0
            for c in 0..<columns { total += exp(input[c] - maximum) }
            let logSum = maximum + log(total)
            for c in 0..<columns { output[c] = input[c] - logSum }
        }
    }
}

/// `dx = dy − exp(y) · Σ dy` per row (overwrites dx).
public func logSoftmaxBackward(
    y: UnsafePointer<Float>, dy: UnsafePointer<Float>, rows: Int, columns: Int, into dx: UnsafeMutablePointer<Float>
) {
    guard columns > 0 else { return }
    parallelFor(rows, grain: max(1, 8192 / columns)) { range in
        for row in range {
            let yRow = y + row * columns, dyRow = dy + row * columns, dxRow = dx + row * columns
            let total = vectorSum(dyRow, columns)
            for c in 0..<columns { dxRow[c] = dyRow[c] - exp(yRow[c]) * total }
        }
    }
}
