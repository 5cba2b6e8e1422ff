import Kernels

/// Softmax, log-softmax and LayerNorm over the last axis (primitives).
extension Tensor {
    private var rowsAndColumns: (rows: Int, columns: Int) {
        let columns = shape.last ?? 1
        return (columns == 0 ? 0 : scalarCount / columns, columns)
    }

    public func softmax() throws -> Tensor {
        guard rank >= 1 else { throw TensorError.invalidArgument(operation: "softmax", reason: "needs at least one axis") }
        let (rows, columns) = rowsAndColumns
        let output = Tensor.uninitialized(shape)
        softmaxForward(output: output.pointer, input: pointer, rows: rows, columns: columns)
        return Tape.record("softmax", output: output, inputs: [self]) { gradient, _ in
            let result = Tensor.uninitialized(output.shape)
            softmaxBackward(dinput: result.pointer, output: output.pointer, doutput: gradient.pointer, rows: rows, columns: columns)
            return [result]
        }
    }

    public func logSoftmax() throws -> Tensor {
        guard rank >= 1 else { throw TensorError.invalidArgument(operation: "logSoftmax", reason: "needs at least one axis") }
        let (rows, columns) = rowsAndColumns
        let output = Tensor.uninitialized(shape)
        logSoftmaxForward(output: output.pointer, input: pointer, rows: rows, columns: columns)
        return Tape.record("logSoftmax", output: output, inputs: [self]) { gradient, _ in
            let result = Tensor.uninitialized(output.shape)
            logSoftmaxBackward(dinput: result.pointer, output: output.pointer, doutput: gradient.pointer, rows: rows, columns: columns)
            return [result]
        }
    }

    /// `(x − mean) / √(var + ε) · weight + bias` over the last axis; weight and bias are `[C]`.
    public func layerNorm(weight: Tensor, bias: Tensor, epsilon: Float = 1e-5) throws -> Tensor {
        let columns = shape.last ?? 0
        guard rank >= 1, weight.shape == [columns], bias.shape == [columns] else {
            throw TensorError.shapeMismatch(
                operation: "layerNorm", shapes: [shape, weight.shape, bias.shape],
                reason: "weight and bias must both be [\(columns)], the input's last axis")
        }
        let (rows, _) = rowsAndColumns
        let output = Tensor.uninitialized(shape)
        let statistics = Tensor.uninitialized([2, rows])
        let (mean, rstd) = (statistics.pointer, statistics.pointer + rows)
        layerNormForward(output: output.pointer, mean: mean, rstd: rstd, input: pointer, weight: weight.pointer,
                         bias: bias.pointer, rows: rows, columns: columns, epsilon: epsilon)
        let (input, scale) = (detached, weight.detached)
        return Tape.record("layerNorm", output: output, inputs: [self, weight, bias]) { gradient, needed in
            let dx = Tensor.uninitialized(input.shape)
            let dweight = Tensor.zeros([columns]), dbias = Tensor.zeros([columns])
            layerNormBackward(dinput: dx.pointer, dweight: needed[1] ? dweight.pointer : nil, dbias: needed[2] ? dbias.pointer : nil, mean: mean, rstd: rstd, doutput: gradient.pointer, input: input.pointer, weight: scale.pointer, rows: rows, columns: columns)
            _ = statistics  // kept alive until the pullback has run
            return [needed[0] ? dx : nil, needed[1] ? dweight : nil, needed[2] ? dbias : nil]
        }
    }
}
