/// LayerNorm over the last axis: `y = (x − mean) · rstd · weight + bias`, statistics in Float32
/// as PyTorch computes them (biased variance).

/// Forward over `[rows, columns]`; saves `mean[rows]` and `rstd[rows]` for the backward pass.
public func layerNormForward(
    output y: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
    input x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    rows: Int, columns: Int, epsilon: Float
) {
    guard columns > 0 else { return }
    parallelFor(rows, grain: rowGrain(columns)) { range in
        for row in range {
            let input = x + row * columns, output = y + row * columns
            let mu = vectorSum(input, columns) / Float(columns)
            var squares = Vector(repeating: 0)
            var c = 0
            let muVector = Vector(repeating: mu)
            while c + vectorWidth <= columns {
                let d = input.vector(at: c) - muVector
                squares += d * d
                c += vectorWidth
            }
            var variance = squares.sum()
            while c < columns { let d = input[c] - mu; variance += d * d; c += 1 }
            variance /= Float(columns)
            let r = 1 / (variance + epsilon).squareRoot()
            mean[row] = mu
            rstd[row] = r
            for c in 0..<columns { output[c] = (input[c] - mu) * r * weight[c] + bias[c] }
        }
    }
}

/// Backward: overwrites `dinput`; adds into `dweight` and `dbias` (which may be nil when not needed).
public func layerNormBackward(
    dinput dx: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>?, dbias: UnsafeMutablePointer<Float>?,
    mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
    doutput dy: UnsafePointer<Float>, input x: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows: Int, columns: Int
) {
    guard columns > 0 else { return }
    parallelFor(rows, grain: rowGrain(columns)) { range in
        for row in range {
            let input = x + row * columns, dyRow = dy + row * columns, dxRow = dx + row * columns
            let mu = mean[row], r = rstd[row]
            // dxhat = dy ⊙ weight; dx = r (dxhat − mean(dxhat) − xhat · mean(dxhat ⊙ xhat)).
            var sumDxhat: Float = 0, sumDxhatXhat: Float = 0
            for c in 0..<columns {
                let xhat = (input[c] - mu) * r
                let dxhat = dyRow[c] * weight[c]
                sumDxhat += dxhat
                sumDxhatXhat += dxhat * xhat
            }
            let meanDxhat = sumDxhat / Float(columns), meanDxhatXhat = sumDxhatXhat / Float(columns)
            for c in 0..<columns {
                let xhat = (input[c] - mu) * r
                dxRow[c] = r * (dyRow[c] * weight[c] - meanDxhat - xhat * meanDxhatXhat)
            }
        }
    }
    // Column sums walk the rows in order inside each column block: deterministic at any thread count.
    let block = columnBlock
    let blocks = (columns + block - 1) / block
    parallelFor(blocks) { range in
        for piece in range {
            let start = piece * block, end = min(columns, start + block)
            for row in 0..<rows {
                let input = x + row * columns, dyRow = dy + row * columns
                let mu = mean[row], r = rstd[row]
                for c in start..<end {
                    dbias?[c] += dyRow[c]
                    dweight?[c] += dyRow[c] * (input[c] - mu) * r
                }
            }
        }
    }
}
