import Kernels

/// One layer's keys and values of the tokens seen so far, for decoding without recomputing the
/// prefix: `[B, H, capacity, D]` buffers whose first `length` positions are filled. Capacity grows
/// by doubling, so appending a token copies only that token (amortised), never the whole prefix.
public final class AttentionCache {
    public private(set) var length = 0
    private(set) var capacity = 0
    private var keys = Tensor.zeros([0])
    private var values = Tensor.zeros([0])
    private var shape: (batch: Int, heads: Int, headSize: Int) = (0, 0, 0)

    public init() {}

    /// Appends `[B, H, T, D]` keys and values after the cached positions.
    public func append(keys newKeys: Tensor, values newValues: Tensor) throws {
        guard newKeys.rank == 4, newKeys.shape == newValues.shape else {
            throw TensorError.shapeMismatch(operation: "AttentionCache.append", shapes: [newKeys.shape, newValues.shape], reason: "keys and values must both be [B, H, T, D]")
        }
        let (b, h, t, d) = (newKeys.shape[0], newKeys.shape[1], newKeys.shape[2], newKeys.shape[3])
        if length == 0 { shape = (b, h, d) }
        guard shape == (b, h, d) else {
            throw TensorError.shapeMismatch(operation: "AttentionCache.append", shapes: [newKeys.shape, [shape.batch, shape.heads, length, shape.headSize]], reason: "batch, heads and head size must stay the same")
        }
        if length + t > capacity { grow(to: max(2 * capacity, length + t, 64)) }
        for (source, target) in [(newKeys, keys), (newValues, values)] {
            // Row (b, h) of the source holds t positions of d features; the cache's row is `capacity` long.
            copyRuns(to: target.pointer + length * d, targetStride: capacity * d, from: source.pointer, sourceStride: t * d, rows: b * h, width: t * d)
        }
        length += t
    }

    private func grow(to newCapacity: Int) {
        let (b, h, d) = shape
        let (newKeys, newValues) = (Tensor.zeros([b, h, newCapacity, d]), Tensor.zeros([b, h, newCapacity, d]))
        if length > 0 {
            copyRuns(to: newKeys.pointer, targetStride: newCapacity * d, from: keys.pointer, sourceStride: capacity * d, rows: b * h, width: length * d)
            copyRuns(to: newValues.pointer, targetStride: newCapacity * d, from: values.pointer, sourceStride: capacity * d, rows: b * h, width: length * d)
        }
        (keys, values, capacity) = (newKeys, newValues, newCapacity)
    }

    /// `softmax(q kᵀ / √D + mask) v` of `query` (`[B, H, T, D]`) over the cached positions, read in
    /// place (strided products, no copy of the prefix); `mask` is additive, broadcastable to
    /// `[B, H, T, length]`. Returns `[B, T, H·D]`. Evaluation only: nothing is recorded.
    public func attention(query: Tensor, mask: Tensor) throws -> Tensor {
        let (b, h, d) = shape
        guard query.rank == 4, query.shape[0] == b, query.shape[1] == h, query.shape[3] == d, length > 0 else {
            throw TensorError.shapeMismatch(operation: "AttentionCache.attention", shapes: [query.shape, [b, h, length, d]], reason: "the query must be [B, H, T, D] of the cache's B, H and D")
        }
        let (t, s) = (query.shape[2], length)
        let scores = Tensor.uninitialized([b, h, t, s])
        batchedGemm(batch: b * h, transposeA: false, transposeB: true, m: t, n: s, k: d, alpha: 1 / Float(d).squareRoot(),
                    a: query.pointer, lda: d, strideA: t * d, b: keys.pointer, ldb: d, strideB: capacity * d,
                    beta: 0, c: scores.pointer, ldc: s, strideC: t * s)
        let weights = try scores.detached.addingMask(mask.detached).softmax()
        let context = Tensor.uninitialized([b, h, t, d])
        batchedGemm(batch: b * h, transposeA: false, transposeB: false, m: t, n: d, k: s,
                    a: weights.pointer, lda: s, strideA: t * s, b: values.pointer, ldb: d, strideB: capacity * d,
                    beta: 0, c: context.pointer, ldc: d, strideC: t * d)
        return try context.transposed(1, 2).reshaped([b, t, h * d])
    }
}
