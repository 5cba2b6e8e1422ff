import CBLAS

/// `C = alpha * op(A) * op(B) + beta * C`, row-major, on OpenBLAS's `cblas_sgemm`.
///
/// op(A) is M×K, op(B) is K×N. A transposed operand is passed to BLAS as a transpose flag,
/// never copied. `lda`, `ldb`, `ldc` are the row strides of A, B, C as stored.
public func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
    guard k > 0 else {
        // BLAS rejects K = 0 on some paths; the product is empty, so only beta acts.
        for row in 0..<m {
            for column in 0..<n { c[row * ldc + column] = beta == 0 ? 0 : beta * c[row * ldc + column] }
        }
        return
    }
    if m == 1 {
        // One row (a token being generated): a matrix-vector product. sgemm would pack all of B
        // for a single row; sgemv streams it once, which is what bounds a decoding step.
        let incrementA = Int32(transposeA ? lda : 1)
        if transposeB {  // B is N×K: c = alpha · B a + beta · c
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), alpha, b, Int32(ldb), a, incrementA, beta, c, 1)
        } else {  // B is K×N: c = alpha · Bᵀ a + beta · c
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), alpha, b, Int32(ldb), a, incrementA, beta, c, 1)
        }
        return
    }
    cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// `batch` independent products whose operands sit `strideA`, `strideB`, `strideC` floats apart.
/// A stride of 0 reuses one operand for every product (a weight shared across the batch); a
/// `strideC` of 0 sums every product into one C (the gradient of such a shared weight).
public func batchedGemm(
    batch: Int, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, strideA: Int, b: UnsafePointer<Float>, ldb: Int, strideB: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, strideC: Int
) {
    for index in 0..<batch {
        gemm(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
            a: a + index * strideA, lda: lda, b: b + index * strideB, ldb: ldb,
            beta: strideC == 0 && index > 0 ? 1 : beta, c: c + index * strideC, ldc: ldc)
    }
}
