import Foundation

/// Fused softmax cross-entropy over `[rows, classes]` logits with integer targets.
///
/// Returns the sum of per-row losses over rows whose target is not `ignored`, and how many such
/// rows there are; saves each row's log-sum-exp for the backward pass. Targets must already be
/// validated to lie in `0..<classes` or equal `ignored`.
public func crossEntropyForward(
    logSumExp: UnsafeMutablePointer<Float>, rowLoss: UnsafeMutablePointer<Float>,
    logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, ignoring ignored: Int32, rows: Int, classes: Int
) -> (sum: Double, count: Int) {
    parallelFor(rows, grain: rowGrain(classes)) { range in
        for row in range {
            let input = logits + row * classes
            let target = targets[row]
            guard target != ignored else { rowLoss[row] = 0; logSumExp[row] = 0; continue }
            let maximum = vectorMax(input, classes)
            let lse = maximum + log(sumOfExponentials(input, minus: maximum, count: classes))
            logSumExp[row] = lse
            rowLoss[row] = lse - input[Int(target)]
        }
    }
    // Rows are summed in order on one thread so the total does not depend on the thread count.
    var sum = 0.0, count = 0
    for row in 0..<rows where targets[row] != ignored {
        sum += Double(rowLoss[row])
        count += 1
    }
    return (sum, count)
}

/// `dlogits[r, :] = scale · (softmax(logits[r, :]) − onehot(target))`, zero on ignored rows
/// (overwrites dlogits). For a mean loss, `scale = dloss / count`.
public func crossEntropyBackward(
    dlogits: UnsafeMutablePointer<Float>, logSumExp: UnsafePointer<Float>, logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
    ignoring ignored: Int32, scale: Float, rows: Int, classes: Int
) {
    parallelFor(rows, grain: rowGrain(classes)) { range in
        for row in range {
            let input = logits + row * classes, output = dlogits + row * classes
            let target = targets[row]
            guard target != ignored else { output.update(repeating: 0, count: classes); continue }
            _ = exponentiate(output: output, input: input, minus: logSumExp[row], count: classes)
            Kernels.scale(output, by: scale, count: classes)
            output[Int(target)] -= scale
        }
    }
}
