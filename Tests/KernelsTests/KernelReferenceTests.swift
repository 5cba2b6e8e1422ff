import Foundation
import Testing
@testable import Kernels

/// Each optimised kernel against its plain twin in `ReferenceKernels`, on shapes large enough to
/// reach the SIMD bodies, their scalar tails and the multi-threaded paths.
@Suite struct KernelReferenceTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmMatchesTripleLoop(transposeA: Bool, transposeB: Bool) {
        let (m, n, k) = (37, 29, 53)
        let a = randomArray(m * k, seed: 1), b = randomArray(k * n, seed: 2)
        let c = output(m * n) { c in
            gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                 a: a, lda: transposeA ? m : k, b: b, ldb: transposeB ? k : n, beta: 0, c: c, ldc: n)
        }
        let expected = ReferenceKernels.matmul(a, b, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
        expectClose(c, expected, relative: 1e-5, absolute: 1e-5, "gemm")
    }

    @Test func batchedGemmSumsIntoSharedOutput() {
        let (batch, m, n, k) = (3, 4, 5, 6)
        let a = randomArray(batch * k * m, seed: 3), b = randomArray(batch * k * n, seed: 4)
        let c = output(m * n) { c in
            batchedGemm(batch: batch, transposeA: true, transposeB: false, m: m, n: n, k: k,
                        a: a, lda: m, strideA: k * m, b: b, ldb: n, strideB: k * n, beta: 0, c: c, ldc: n, strideC: 0)
        }
        var expected = [Float](repeating: 0, count: m * n)
        for index in 0..<batch {
            let part = ReferenceKernels.matmul(Array(a[(index * k * m)..<((index + 1) * k * m)]), Array(b[(index * k * n)..<((index + 1) * k * n)]),
                                               m: m, n: n, k: k, transposeA: true, transposeB: false)
            for i in expected.indices { expected[i] += part[i] }
        }
        expectClose(c, expected, relative: 1e-5, absolute: 1e-5, "batched gemm")
    }

    @Test(arguments: [(1, 1000, 1), (7, 13, 1), (3, 50, 130), (1, 70, 777)])
    func sumMiddleAxisMatchesReference(outer: Int, length: Int, inner: Int) {
        let x = randomArray(outer * length * inner, seed: 5)
        let sums = output(outer * inner) { sumMiddleAxis(output: $0, input: x, outer: outer, length: length, inner: inner) }
        expectClose(sums, ReferenceKernels.sumMiddleAxis(x, outer: outer, length: length, inner: inner),
                    relative: 1e-5, absolute: 1e-5, "sum")
    }

    @Test(arguments: [1, 7, 64, 1027])
    func softmaxMatchesReference(columns: Int) {
        let rows = 9
        let x = randomArray(rows * columns, seed: 6, scale: 8)
        let y = output(rows * columns) { softmaxForward(output: $0, input: x, rows: rows, columns: columns) }
        expectClose(y, ReferenceKernels.softmax(x, rows: rows, columns: columns), relative: 1e-5, absolute: 1e-7, "softmax")
        let logY = output(rows * columns) { logSoftmaxForward(output: $0, input: x, rows: rows, columns: columns) }
        expectClose(logY, ReferenceKernels.softmax(x, rows: rows, columns: columns, log: true), relative: 1e-5, absolute: 1e-5, "log-softmax")
    }

    @Test(arguments: [8, 37, 768])
    func layerNormMatchesReference(columns: Int) {
        let rows = 33
        let x = randomArray(rows * columns, seed: 7, scale: 4).map { $0 + 3 }
        let weight = randomArray(columns, seed: 8), bias = randomArray(columns, seed: 9)
        let dy = randomArray(rows * columns, seed: 10)
        var mean = [Float](repeating: 0, count: rows), rstd = mean
        let y = output(rows * columns) { y in
            layerNormForward(output: y, mean: &mean, rstd: &rstd, input: x, weight: weight, bias: bias, rows: rows, columns: columns, epsilon: 1e-5)
        }
        expectClose(y, ReferenceKernels.layerNorm(x, weight: weight, bias: bias, rows: rows, columns: columns, epsilon: 1e-5),
                    relative: 1e-4, absolute: 1e-5, "layer norm")
        var dweight = [Float](repeating: 0, count: columns), dbias = dweight
        let dx = output(rows * columns) { dx in
            layerNormBackward(dinput: dx, dweight: &dweight, dbias: &dbias, mean: mean, rstd: rstd, doutput: dy, input: x, weight: weight, rows: rows, columns: columns)
        }
        let expected = ReferenceKernels.layerNormBackward(x, weight: weight, dy: dy, rows: rows, columns: columns, epsilon: 1e-5)
        expectClose(dx, expected.dx, relative: 1e-3, absolute: 1e-4, "layer norm dx")
        expectClose(dweight, expected.dweight, relative: 1e-4, absolute: 1e-4, "layer norm dweight")
        expectClose(dbias, expected.dbias, relative: 1e-4, absolute: 1e-4, "layer norm dbias")
    }

    @Test func crossEntropyMatchesReference() {
        let (rows, classes) = (40, 301)
        let logits = randomArray(rows * classes, seed: 11, scale: 5)
        let ignoredLabel: Int32 = -100
        let targets: [Int32] = (0..<rows).map { $0 % 7 == 3 ? ignoredLabel : Int32(($0 * 37) % classes) }
        var lse = [Float](repeating: 0, count: rows), losses = lse
        let (sum, count) = crossEntropyForward(logSumExp: &lse, rowLoss: &losses, logits: logits, targets: targets, ignoring: ignoredLabel, rows: rows, classes: classes)
        let expected = ReferenceKernels.crossEntropy(logits, targets: targets, ignoring: ignoredLabel, rows: rows, classes: classes)
        #expect(count == targets.filter { $0 != ignoredLabel }.count)
        expectClose([Float(sum / Double(count))], [expected.loss], relative: 1e-5, absolute: 0, "loss")
        let dlogits = output(rows * classes) { d in
            crossEntropyBackward(dlogits: d, logSumExp: lse, logits: logits, targets: targets, ignoring: ignoredLabel, scale: 1 / Float(count), rows: rows, classes: classes)
        }
        expectClose(dlogits, expected.dlogits, relative: 1e-4, absolute: 1e-8, "dlogits")
    }

    @Test func geluMatchesReference() {
        let x = randomArray(4099, seed: 12, scale: 6)
        let exact = output(x.count) { unaryForward(output: $0, input: x, function: .gelu, count: x.count) }
        expectClose(exact, x.map(ReferenceKernels.gelu), relative: 1e-5, absolute: 1e-7, "gelu")
        let tanhForm = output(x.count) { unaryForward(output: $0, input: x, function: .geluTanh, count: x.count) }
        expectClose(tanhForm, x.map(ReferenceKernels.geluTanh), relative: 1e-5, absolute: 1e-7, "gelu tanh")
    }

    /// The lane argmax picks what a strict `>` scan from column 0 picks: the first of tied
    /// maxima (+0 and -0 tie), NaNs passed over, a NaN in column 0 kept, all -inf rows at 0.
    @Test func argmaxRowsEqualsAStrictScan() {
        let columns = 1_003
        var values = randomArray(9 * columns, seed: 31, scale: 5)
        values[1 * columns + 700] = 9; values[1 * columns + 20] = 9        // tie: 20 wins
        values[2 * columns + 5] = .nan; values[2 * columns + 900] = 7     // NaN passed over
        values[3 * columns] = .nan                                        // NaN first: 0
        for c in 0..<columns { values[4 * columns + c] = -.infinity }     // all -inf: 0
        for c in 0..<columns { values[5 * columns + c] = c % 2 == 0 ? -1 : -0.0 }
        values[5 * columns + 999] = 0                                     // -0 at 1 ties +0: 1
        values[6 * columns + columns - 1] = 50                            // the tail of the lanes
        var best = [Int32](repeating: -1, count: 9)
        values.withUnsafeBufferPointer { x in
            best.withUnsafeMutableBufferPointer { argmaxRows(output: $0.baseAddress!, input: x.baseAddress!, rows: 9, columns: columns) }
        }
        let scan = (0..<9).map { row -> Int32 in
            var best = 0
            for c in 1..<columns where values[row * columns + c] > values[row * columns + best] { best = c }
            return Int32(best)
        }
        #expect(best == scan)
        #expect(Array(best[1...6]) == [20, 900, 0, 0, 1, Int32(columns - 1)])
    }

    @Test func adamWMatchesReference() {
        let count = 10_001
        var p = randomArray(count, seed: 13), m = randomArray(count, seed: 14, scale: 0.1)
        var v = randomArray(count, seed: 15, scale: 0.01).map { abs($0) }
        // Every element decays: the optimizer passes weight decay 0 for the parameters it leaves alone.
        let g = randomArray(count, seed: 16), decay = [Float](repeating: 1, count: count)
        let step = AdamWStep(learningRate: 6e-4, beta1: 0.9, beta2: 0.98, epsilon: 1e-6, weightDecay: 0.01, step: 7)
        var (refP, refM, refV) = (p, m, v)
        ReferenceKernels.adamW(parameters: &refP, firstMoment: &refM, secondMoment: &refV, gradients: g, decayMask: decay, step: step)
        adamWUpdate(parameters: &p, firstMoment: &m, secondMoment: &v, gradients: g, step: step, count: count)
        expectClose(p, refP, relative: 1e-6, absolute: 1e-7, "parameters")
        // β·m + (1−β)·g cancels where m ≈ −g/9: the error bound is an ulp of the operands
        // (|terms| ≤ 0.1, ulp 7e-9), not of the small result.
        expectClose(m, refM, relative: 1e-6, absolute: 1e-8, "first moment")
        expectClose(v, refV, relative: 1e-6, absolute: 1e-10, "second moment")
        // Eight lanes at a time change no bit against the same Float formula one element at a time.
        var (scalarP, scalarM, scalarV) = (randomArray(count, seed: 13), randomArray(count, seed: 14, scale: 0.1),
                                           randomArray(count, seed: 15, scale: 0.01).map { abs($0) })
        // 1 − β and 1 − β^t of the decimal β (0.02 for β2 = 0.98, as optax and PyTorch have it).
        #expect(step.oneMinusBeta2 == 0.02 && step.oneMinusBeta2 != 1 - step.beta2 && step.oneMinusBeta1 == 0.1)
        let c1 = Float(1 - Foundation.pow(0.9, Double(step.step)))
        let c2 = Float(1 - Foundation.pow(0.98, Double(step.step)))
        for i in 0..<count {
            scalarM[i] = step.beta1 * scalarM[i] + 0.1 * g[i]
            scalarV[i] = step.beta2 * scalarV[i] + 0.02 * g[i] * g[i]
            let update = (scalarM[i] / c1) / ((scalarV[i] / c2).squareRoot() + step.epsilon)
            scalarP[i] -= step.learningRate * (update + step.weightDecay * scalarP[i])
        }
        #expect(p.map(\.bitPattern) == scalarP.map(\.bitPattern) && m.map(\.bitPattern) == scalarM.map(\.bitPattern)
                && v.map(\.bitPattern) == scalarV.map(\.bitPattern))
    }

    @Test func dropoutMatchesElementwiseReferenceAndKeepRate() {
        let x = randomArray(100_003, seed: 17)
        let key = RandomKey(seed: 42, step: 3, device: 5, stream: 2)
        let y = output(x.count) { dropout(output: $0, input: x, probability: 0.1, key: key, count: x.count) }
        let reference = ReferenceKernels.dropout(x, probability: 0.1, key: key)
        #expect(y.count == reference.count && zip(y, reference).filter { $0.0 != $0.1 }.count == 0, "threaded kernel equals the one-thread reference bitwise")
        let kept = zip(x, y).filter { $0.1 != 0 }
        // 100k Bernoulli(0.9) draws: the kept share is 0.9 ± 0.003 at 3 standard deviations.
        #expect(abs(Double(kept.count) / Double(x.count) - 0.9) < 0.003)
        // As PyTorch: kept values are multiplied by 1 / (1 − p) rounded to Float.
        let scale: Float = 1 / (1 - 0.1)
        #expect(kept.filter { $0.1 != $0.0 * scale }.count == 0)
        let other = output(x.count) { dropout(output: $0, input: x, probability: 0.1, key: key.with(stream: 3), count: x.count) }
        let differing = zip(other, y).filter { ($0.0 == 0) != ($0.1 == 0) }.count
        // Independent masks disagree on 2·0.9·0.1 = 18% of elements.
        #expect(abs(Double(differing) / Double(x.count) - 0.18) < 0.005, "another stream gives an independent mask")
    }

    @Test func embeddingBackwardSumsRepeatedRows() {
        let (rows, columns) = (11, 130)
        let indices: [Int32] = [3, 1, 3, 10, 3, 0]
        let dout = randomArray(indices.count * columns, seed: 18)
        var table = [Float](repeating: 0, count: rows * columns)
        embeddingBackward(dtable: &table, doutput: dout, indices: indices, columns: columns, count: indices.count)
        var expected = [Float](repeating: 0, count: rows * columns)
        for (n, index) in indices.enumerated() {
            for c in 0..<columns { expected[Int(index) * columns + c] += dout[n * columns + c] }
        }
        #expect(zip(table, expected).filter { $0.0 != $0.1 }.count == 0)
    }

    @Test func embeddingBackwardSkipsThePaddingRow() {
        let columns = 70
        let indices: [Int32] = [1, 2, 1, 0]
        let dout = randomArray(indices.count * columns, seed: 19)
        var table = [Float](repeating: 0, count: 3 * columns)
        embeddingBackward(dtable: &table, doutput: dout, indices: indices, skipping: 1, columns: columns, count: indices.count)
        #expect(table[columns..<(2 * columns)].allSatisfy { $0 == 0 }, "the padding row gets nothing")
        #expect(Array(table[(2 * columns)...]) == Array(dout[columns..<(2 * columns)]))
        #expect(Array(table[..<columns]) == Array(dout[(3 * columns)...]))
    }
}
