import Kernels

/// Embedding gather and cross-entropy: the operations that take integer indices (primitives).
extension Tensor {
    /// Rows of `table` (`[V, C]`) picked by `indices`; the result is `indices.shape + [C]`.
    /// The gradient is scattered back, summing rows picked more than once; lookups of
    /// `paddingIndex` send no gradient to that row (PyTorch's `nn.Embedding(padding_idx:)`).
    public static func embedding(_ table: Tensor, indices: IndexTensor, paddingIndex: Int? = nil) throws -> Tensor {
        guard table.rank == 2 else {
            throw TensorError.shapeMismatch(operation: "embedding", shapes: [table.shape, indices.shape], reason: "the table must be [V, C]")
        }
        let (vocabulary, columns) = (table.shape[0], table.shape[1])
        try indices.validate(operation: "embedding", in: 0..<vocabulary)
        let output = Tensor.uninitialized(indices.shape + [columns])
        indices.indices.withUnsafeBufferPointer { ids in
            embeddingForward(output: output.pointer, table: table.pointer, indices: ids.baseAddress!, columns: columns, count: indices.count)
        }
        let skipped = paddingIndex.map { Int32($0) }
        // A parameter table gets its rows scattered straight into its gradient buffer: no [V, C] temporary.
        let scatter: Tape.SinkAccumulator = { gradient, sink in
            indices.indices.withUnsafeBufferPointer { ids in
                embeddingBackward(dtable: sink, doutput: gradient.pointer, indices: ids.baseAddress!, skipping: skipped, columns: columns, count: indices.count)
            }
        }
        return Tape.record("embedding", output: output, inputs: [table], accumulators: [0: scatter]) { gradient, needed in
            guard needed[0] else { return [nil] }
            let result = Tensor.zeros([vocabulary, columns])
            try scatter(gradient, result.pointer)
            return [result]
        }
    }

    /// PyTorch's `ignore_index` default: `cross_entropy` skips targets equal to it (transformers
    /// labels "nothing to predict here" with it).
    public static let ignoreIndex: Int32 = -100

    /// Mean cross-entropy of `logits` (`[..., V]`) against `targets` (the leading shape), skipping
    /// targets equal to `ignoring`. As in PyTorch, the mean of no counted rows is NaN.
    public static func crossEntropy(logits: Tensor, targets: IndexTensor, ignoring ignored: Int32 = ignoreIndex) throws -> Tensor {
        guard logits.rank >= 1, Array(logits.shape.dropLast()) == targets.shape else {
            throw TensorError.shapeMismatch(
                operation: "crossEntropy", shapes: [logits.shape, targets.shape],
                reason: "targets must have the logits' shape without its last (class) axis")
        }
        let classes = logits.shape[logits.rank - 1], rows = targets.count
        try targets.validate(operation: "crossEntropy", in: 0..<classes, allowing: [ignored])
        let saved = Tensor.uninitialized([2, rows])
        let (logSumExp, rowLoss) = (saved.pointer, saved.pointer + rows)
        let (sum, count) = targets.indices.withUnsafeBufferPointer { ids in
            crossEntropyForward(logSumExp: logSumExp, rowLoss: rowLoss, logits: logits.pointer, targets: ids.baseAddress!, ignoring: ignored, rows: rows, classes: classes)
        }
        let output = Tensor(count == 0 ? .nan : Float(sum / Double(count)))
        let input = logits.detached
        return Tape.record("crossEntropy", output: output, inputs: [logits]) { gradient, _ in
            let result = Tensor.uninitialized(input.shape)
            let scale = count == 0 ? Float.nan : gradient.pointer[0] / Float(count)
            targets.indices.withUnsafeBufferPointer { ids in
                crossEntropyBackward(dlogits: result.pointer, logSumExp: logSumExp, logits: input.pointer, targets: ids.baseAddress!, ignoring: ignored, scale: scale, rows: rows, classes: classes)
            }
            _ = saved
            return [result]
        }
    }
}
