import Foundation

/// Plain twins of the optimised kernels: straight loops over arrays, accumulating in Double.
/// Tests compare each kernel against its twin; nothing on a hot path calls these.
public enum ReferenceKernels {
    /// Twins of the Double accumulation loops: one conversion (and one add or multiply) per element.
    public static func widen(_ x: [Float]) -> [Double] { x.map { Double($0) } }
    public static func accumulateWidened(_ sums: [Double], _ x: [Float]) -> [Double] { zip(sums, x).map { $0 + Double($1) } }
    public static func narrowScaled(_ x: [Double], scale: Double) -> [Float] { x.map { Float($0 * scale) } }

    /// The keys query `row` sees under causal blocks of `block`: `..< min(t, (row / block + 1) · block)`.
    public static func causalVisible(row: Int, time t: Int, block: Int) -> Int { min(t, (row / block + 1) * block) }

    /// Σ term(i) over `indices` in Double, with Σ|term(i)| beside it: the magnitude bounds the
    /// rounding of the optimised kernel's float sum in whatever order it adds.
    static func sumWithMagnitude(_ indices: Range<Int>, _ term: (Int) -> Double) -> (value: Double, magnitude: Double) {
        var total = 0.0, magnitude = 0.0
        for i in indices {
            let t = term(i)
            total += t
            magnitude += abs(t)
        }
        return (total, magnitude)
    }

    /// Twin of `causalBlockProducts`: per pair, `left · rightᵀ` on each row's visible columns, in
    /// Double, with Σ|terms| of each entry (for an error bound); nil where the kernel writes nothing.
    public static func causalBlockProducts(_ left: [Float], _ right: [Float], pairs: Int, time t: Int, width d: Int, block: Int)
        -> [(value: Double, magnitude: Double)?] {
        var out = [(value: Double, magnitude: Double)?](repeating: nil, count: pairs * t * t)
        for p in 0..<pairs {
            for r in 0..<t {
                for c in 0..<causalVisible(row: r, time: t, block: block) {
                    out[(p * t + r) * t + c] = sumWithMagnitude(0..<d) { k in Double(left[(p * t + r) * d + k]) * Double(right[(p * t + c) * d + k]) }
                }
            }
        }
        return out
    }

    /// Twin of `causalBlockMix`: per pair, `weights[r, ..<visible(r)] · values[..<visible(r)]`.
    public static func causalBlockMix(_ weights: [Float], _ values: [Float], pairs: Int, time t: Int, width d: Int, block: Int)
        -> [(value: Double, magnitude: Double)] {
        weightedRows(weights, values, pairs: pairs, time: t, width: d) { r in 0..<causalVisible(row: r, time: t, block: block) }
    }

    /// Twin of `causalBlockMixTransposed`: per pair, key c gets `Σ_r weights[r, c] · rows[r]` over
    /// the queries r that see it (from c's block start on): the plain mix of the transposed weights.
    public static func causalBlockMixTransposed(_ weights: [Float], _ rows: [Float], pairs: Int, time t: Int, width d: Int, block: Int)
        -> [(value: Double, magnitude: Double)] {
        var transposed = weights
        for p in 0..<pairs {
            for r in 0..<t { for c in 0..<t { transposed[(p * t + c) * t + r] = weights[(p * t + r) * t + c] } }
        }
        return weightedRows(transposed, rows, pairs: pairs, time: t, width: d) { c in (c / block * block)..<t }
    }

    /// Per pair, output row i is `Σ_{k ∈ terms(i)} weights[i, k] · rows[k]`, each entry with its magnitude.
    static func weightedRows(_ weights: [Float], _ rows: [Float], pairs: Int, time t: Int, width d: Int, terms: (Int) -> Range<Int>)
        -> [(value: Double, magnitude: Double)] {
        var out = [(value: Double, magnitude: Double)](repeating: (0, 0), count: pairs * t * d)
        for p in 0..<pairs {
            for i in 0..<t {
                for j in 0..<d {
                    out[(p * t + i) * d + j] = sumWithMagnitude(terms(i)) { k in Double(weights[(p * t + i) * t + k]) * Double(rows[(p * t + k) * d + j]) }
                }
            }
        }
        return out
    }

    /// Σ x² of each `block`-float block of `values[range]`, one Double sum per block in element order.
    public static func normPartials(_ values: [Float], range: Range<Int>, block: Int) -> [Double] {
        stride(from: range.lowerBound, to: range.upperBound, by: block).map { start in
            var total = 0.0
            for i in start..<min(range.upperBound, start + block) { total += Double(values[i]) * Double(values[i]) }
            return total
        }
    }

    /// C = op(A) op(B), op(A) M×K, op(B) K×N, all row-major.
    public static func matmul(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var total = 0.0
                for p in 0..<k {
                    let x = transposeA ? a[p * m + i] : a[i * k + p]
                    let y = transposeB ? b[j * k + p] : b[p * n + j]
                    total += Double(x) * Double(y)
                }
                c[i * n + j] = Float(total)
            }
        }
        return c
    }

    public static func sumMiddleAxis(_ x: [Float], outer: Int, length: Int, inner: Int) -> [Float] {
        var out = [Float](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                var total = 0.0
                for l in 0..<length { total += Double(x[(o * length + l) * inner + i]) }
                out[o * inner + i] = Float(total)
            }
        }
        return out
    }

    public static func softmax(_ x: [Float], rows: Int, columns: Int, log takeLog: Bool = false) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        for r in 0..<rows {
            let row = (0..<columns).map { Double(x[r * columns + $0]) }
            let maximum = row.max() ?? 0
            let total = row.reduce(0) { $0 + Foundation.exp($1 - maximum) }
            for c in 0..<columns {
                y[r * columns + c] = takeLog
                    ? Float(row[c] - maximum - Foundation.log(total))
                    : Float(Foundation.exp(row[c] - maximum) / total)
            }
        }
        return y
    }

    public static func layerNorm(
        _ x: [Float], weight: [Float], bias: [Float], rows: Int, columns: Int, epsilon: Double
    ) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        for r in 0..<rows {
            let row = (0..<columns).map { Double(x[r * columns + $0]) }
            let mean = row.reduce(0, +) / Double(columns)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(columns)
            let rstd = 1 / (variance + epsilon).squareRoot()
            for c in 0..<columns {
                y[r * columns + c] = Float((row[c] - mean) * rstd * Double(weight[c]) + Double(bias[c]))
            }
        }
        return y
    }

    /// Gradients of Σ dy ⊙ layerNorm(x) with respect to x, weight and bias.
    public static func layerNormBackward(
        _ x: [Float], weight: [Float], dy: [Float], rows: Int, columns: Int, epsilon: Double
    ) -> (dx: [Float], dweight: [Float], dbias: [Float]) {
        var dx = [Float](repeating: 0, count: x.count)
        var dweight = [Double](repeating: 0, count: columns), dbias = [Double](repeating: 0, count: columns)
        for r in 0..<rows {
            let row = (0..<columns).map { Double(x[r * columns + $0]) }
            let mean = row.reduce(0, +) / Double(columns)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(columns)
            let rstd = 1 / (variance + epsilon).squareRoot()
            let xhat = row.map { ($0 - mean) * rstd }
            let g = (0..<columns).map { Double(dy[r * columns + $0]) }
            let dxhat = (0..<columns).map { g[$0] * Double(weight[$0]) }
            let meanDxhat = dxhat.reduce(0, +) / Double(columns)
            let meanDxhatXhat = zip(dxhat, xhat).reduce(0) { $0 + $1.0 * $1.1 } / Double(columns)
            for c in 0..<columns {
                dx[r * columns + c] = Float(rstd * (dxhat[c] - meanDxhat - xhat[c] * meanDxhatXhat))
                dweight[c] += g[c] * xhat[c]
                dbias[c] += g[c]
            }
        }
        return (dx, dweight.map(Float.init), dbias.map(Float.init))
    }

    /// Mean cross-entropy over rows whose target is not `ignored`, and its gradient for dloss = 1.
    public static func crossEntropy(_ logits: [Float], targets: [Int32], ignoring ignored: Int32, rows: Int, classes: Int) -> (loss: Float, dlogits: [Float]) {
        let counted = targets.filter { $0 != ignored }.count
        var total = 0.0
        var dlogits = [Float](repeating: 0, count: logits.count)
        let probabilities = softmax(logits, rows: rows, columns: classes)
        let logProbabilities = softmax(logits, rows: rows, columns: classes, log: true)
        for r in 0..<rows where targets[r] != ignored {
            let t = Int(targets[r])
            total -= Double(logProbabilities[r * classes + t])
            for c in 0..<classes {
                dlogits[r * classes + c] = Float((Double(probabilities[r * classes + c]) - (c == t ? 1 : 0)) / Double(counted))
            }
        }
        return (Float(total / Double(counted)), dlogits)
    }

    public static func gelu(_ x: Float) -> Float {
        let v = Double(x)
        return Float(0.5 * v * (1 + erf(v / 2.0.squareRoot())))
    }

    public static func geluTanh(_ x: Float) -> Float {
        let v = Double(x)
        return Float(0.5 * v * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v))))
    }

    /// Dropout element by element on one thread, drawing with the same generator.
    public static func dropout(_ x: [Float], probability: Float, key: RandomKey) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        let scale = 1 / (1 - probability)
        for i in 0..<x.count {
            let w = key.words(block: i / 4)
            let word = [w.0, w.1, w.2, w.3][i % 4]
            out[i] = unitFloat(word) >= probability ? x[i] * scale : 0
        }
        return out
    }

    /// AdamW in Double, optax's form.
    public static func adamW(
        parameters: inout [Float], firstMoment: inout [Float], secondMoment: inout [Float],
        gradients: [Float], decayMask: [Float], step s: AdamWStep
    ) {
        // β, 1 − β and 1 − β^t of the decimal β, as optax and PyTorch hold it (AdamWStep.decimal).
        let (b1, b2) = (AdamWStep.decimal(s.beta1), AdamWStep.decimal(s.beta2))
        let c1 = 1 - Foundation.pow(b1, Double(s.step))
        let c2 = 1 - Foundation.pow(b2, Double(s.step))
        for i in parameters.indices {
            let g = Double(gradients[i])
            let m = b1 * Double(firstMoment[i]) + (1 - b1) * g
            let v = b2 * Double(secondMoment[i]) + (1 - b2) * g * g
            firstMoment[i] = Float(m)
            secondMoment[i] = Float(v)
            let update = (m / c1) / ((v / c2).squareRoot() + Double(s.epsilon))
            parameters[i] = Float(Double(parameters[i]) - Double(s.learningRate) * (update + Double(s.weightDecay) * Double(decayMask[i]) * Double(parameters[i])))
        }
    }
}
