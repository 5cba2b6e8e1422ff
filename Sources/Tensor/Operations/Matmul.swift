import Kernels

/// Matrix products on `cblas_sgemm` (primitive).
///
/// `a` is `[..., M, K]` (`[..., K, M]` with `transposeA`), `b` is `[..., K, N]` (`[..., N, K]` with
/// `transposeB`). Leading batch axes must be equal, or one operand is a plain matrix shared by
/// every batch element. Transposes reach BLAS as flags; no operand is copied.
extension Tensor {
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) throws -> Tensor {
        let output = try matmulValue(a, b, transposeA: transposeA, transposeB: transposeB)
        let (x, y) = (a.detached, b.detached)
        var accumulators: [Int: Tape.SinkAccumulator] = [:]
        if y.rank == 2, !transposeA {
            // A weight matrix that is a parameter: its gradient, summed over every row of the batch,
            // is accumulated by one product straight into its gradient buffer (beta = 1).
            let (k, columns) = (x.shape[x.rank - 1], y.shape[1])
            accumulators[1] = { gradient, sink in
                let rows = x.scalarCount / k
                if transposeB {  // dW[out, in] += dYᵀ[out, rows] · X[rows, in]
                    gemm(transposeA: true, transposeB: false, m: y.shape[0], n: k, k: rows,
                         a: gradient.pointer, lda: y.shape[0], b: x.pointer, ldb: k, beta: 1, c: sink, ldc: k)
                } else {         // dW[in, out] += Xᵀ[in, rows] · dY[rows, out]
                    gemm(transposeA: true, transposeB: false, m: k, n: columns, k: rows,
                         a: x.pointer, lda: k, b: gradient.pointer, ldb: columns, beta: 1, c: sink, ldc: columns)
                }
            }
        }
        return Tape.record("matmul", output: output, inputs: [a, b], accumulators: accumulators) { gradient, needed in
            var gradientA: Tensor?, gradientB: Tensor?
            if needed[0] {
                let full = transposeA
                    ? try matmulValue(y, gradient, transposeA: transposeB, transposeB: true)
                    : try matmulValue(gradient, y, transposeA: false, transposeB: !transposeB)
                gradientA = Broadcasting.reduce(full, to: x.shape)
            }
            if needed[1] {
                var (left, upstream) = (x, gradient)
                if y.rank == 2, x.rank > 2, !transposeA {
                    // A weight shared over the batch: fold the batch into rows so one product
                    // sums over it, instead of one product per element and a reduction.
                    left = try x.reshaped([-1, x.shape[x.rank - 1]])
                    upstream = try gradient.reshaped([-1, gradient.shape[gradient.rank - 1]])
                }
                let full = transposeB
                    ? try matmulValue(upstream, left, transposeA: true, transposeB: transposeA)
                    : try matmulValue(left, upstream, transposeA: !transposeA, transposeB: false)
                gradientB = Broadcasting.reduce(full, to: y.shape)
            }
            return [gradientA, gradientB]
        }
    }

    public func matmul(_ other: Tensor, transposeA: Bool = false, transposeB: Bool = false) throws -> Tensor {
        try Tensor.matmul(self, other, transposeA: transposeA, transposeB: transposeB)
    }

    static func matmulValue(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) throws -> Tensor {
        let fail = { (reason: String) in TensorError.shapeMismatch(operation: "matmul", shapes: [a.shape, b.shape], reason: reason) }
        guard a.rank >= 2, b.rank >= 2 else { throw fail("both operands need at least two axes") }
        let (a0, a1) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (b0, b1) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, k) = transposeA ? (a1, a0) : (a0, a1)
        let (kB, n) = transposeB ? (b1, b0) : (b0, b1)
        guard k == kB else { throw fail("inner sizes \(k) and \(kB) differ") }
        let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
        guard batchA == batchB || batchA.isEmpty || batchB.isEmpty else {
            throw fail("batch axes \(describe(batchA)) and \(describe(batchB)) differ")
        }
        let batchShape = batchA.isEmpty ? batchB : batchA
        let batch = batchShape.reduce(1, *)
        let output = Tensor.uninitialized(batchShape + [m, n])
        let (lda, ldb) = (a1, b1)
        if batchB.isEmpty && !transposeA {
            // [..., M, K] rows are contiguous: the whole batch is one product of batch·M rows.
            gemm(transposeA: false, transposeB: transposeB, m: batch * m, n: n, k: k,
                 a: a.pointer, lda: lda, b: b.pointer, ldb: ldb, beta: 0, c: output.pointer, ldc: n)
        } else {
            batchedGemm(
                batch: batch, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                a: a.pointer, lda: lda, strideA: batchA.isEmpty ? 0 : a0 * a1,
                b: b.pointer, ldb: ldb, strideB: batchB.isEmpty ? 0 : b0 * b1,
                beta: 0, c: output.pointer, ldc: n, strideC: m * n)
        }
        return output
    }
}
