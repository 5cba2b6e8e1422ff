// Shapes (letters as in CallingConvention.swift): every matrix is row-major per pair (P = B·H):
// `[P, T, D]` for queries, keys, values and their gradients, `[P, T, T]` for scores and weights.

/// Causal attention computes only what a causal mask lets through: queries are cut into blocks of
/// 64 rows, and block i's queries see keys up to the block's end, so its scores, softmax and
/// products stop there (about 44% of the products of a 512-token row are skipped, forward and
/// backward). 64 rows make each product a GEMM OpenBLAS runs near its peak while leaving little
/// of the hidden triangle inside the diagonal blocks.
public let causalAttentionBlock = 64

/// Calls `body(start, end)` for consecutive blocks of `causalAttentionBlock` positions of `0..<count`.
@inline(__always)
func forEachCausalBlock(_ count: Int, _ body: (Int, Int) -> Void) {
    var start = 0
    while start < count {
        body(start, min(count, start + causalAttentionBlock))
        start += causalAttentionBlock
    }
}

/// Calls `body(pair, start, end)` for every pair and every block of its `t` positions.
@inline(__always)
func forEachPairBlock(pairs: Int, time t: Int, _ body: (Int, Int, Int) -> Void) {
    for pair in 0..<pairs { forEachCausalBlock(t) { body(pair, $0, $1) } }
}

/// `output[p][r0..<r1, ..<r1] = left[p][r0..<r1] · right[p][..<r1]ᵀ` for every query block
/// `r0..<r1`: the visible part of `left · rightᵀ` (scores `Q Kᵀ`, or `dO Vᵀ` in backward). Entries
/// after a block's end are not written.
public func causalBlockProducts(
    output: UnsafeMutablePointer<Float>, left: UnsafePointer<Float>, right: UnsafePointer<Float>, pairs: Int, time t: Int, width d: Int
) {
    forEachPairBlock(pairs: pairs, time: t) { pair, r0, r1 in
        gemm(transposeA: false, transposeB: true, m: r1 - r0, n: r1, k: d, a: left + (pair * t + r0) * d, lda: d,
             b: right + pair * t * d, ldb: d, beta: 0, c: output + (pair * t + r0) * t, ldc: t)
    }
}

/// `output[p][r0..<r1] = weights[p][r0..<r1, ..<r1] · values[p][..<r1]` for every query block: the
/// attention output `W V` (or `dS K` in backward) from the visible weights only.
public func causalBlockMix(
    output: UnsafeMutablePointer<Float>, weights: UnsafePointer<Float>, values: UnsafePointer<Float>, pairs: Int, time t: Int, width d: Int
) {
    forEachPairBlock(pairs: pairs, time: t) { pair, r0, r1 in
        gemm(transposeA: false, transposeB: false, m: r1 - r0, n: d, k: r1, a: weights + (pair * t + r0) * t, lda: t,
             b: values + pair * t * d, ldb: d, beta: 0, c: output + (pair * t + r0) * d, ldc: d)
    }
}

/// `output[p][c0..<c1] = weights[p][c0..., c0..<c1]ᵀ · rows[p][c0...]` for every key block
/// `c0..<c1`: `Wᵀ dO` (dV) or `dSᵀ Q` (dK), reading only the queries that see those keys.
public func causalBlockMixTransposed(
    output: UnsafeMutablePointer<Float>, weights: UnsafePointer<Float>, rows: UnsafePointer<Float>, pairs: Int, time t: Int, width d: Int
) {
    forEachPairBlock(pairs: pairs, time: t) { pair, c0, c1 in
        gemm(transposeA: true, transposeB: false, m: c1 - c0, n: d, k: t - c0, a: weights + (pair * t + c0) * t + c0, lda: t,
             b: rows + (pair * t + c0) * d, ldb: d, beta: 0, c: output + (pair * t + c0) * d, ldc: d)
    }
}
