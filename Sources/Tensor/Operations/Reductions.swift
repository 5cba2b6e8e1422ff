import Kernels

/// Sums and maxima over one axis (primitives); means are composed from sums.
extension Tensor {
    func normalizedAxis(_ axis: Int, operation: String) throws -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        guard (0..<rank).contains(resolved) else {
            throw TensorError.invalidArgument(operation: operation, reason: "axis \(axis) is outside a tensor of shape \(describe(shape))")
        }
        return resolved
    }

    /// `(outer, length, inner)` around `axis`.
    func split(at axis: Int) -> (outer: Int, length: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    func reducedShape(_ axis: Int, keeping: Bool) -> [Int] {
        var result = shape
        if keeping { result[axis] = 1 } else { result.remove(at: axis) }
        return result
    }

    public func sum(alongAxis axis: Int, keepingDimension: Bool = false) throws -> Tensor {
        let axis = try normalizedAxis(axis, operation: "sum")
        let (outer, length, inner) = split(at: axis)
        let output = Tensor.uninitialized(reducedShape(axis, keeping: keepingDimension))
        sumMiddleAxis(output: output.pointer, input: pointer, outer: outer, length: length, inner: inner)
        let inputShape = shape
        return Tape.record("sum", output: output, inputs: [self]) { gradient, _ in
            let result = Tensor.uninitialized(inputShape)
            broadcastMiddleAxis(output: result.pointer, input: gradient.pointer, outer: outer, length: length, inner: inner)
            return [result]
        }
    }

    /// Sum of every element, as a rank-0 tensor.
    public func sum() throws -> Tensor {
        try reshaped([scalarCount]).sum(alongAxis: 0)
    }

    public func mean(alongAxis axis: Int, keepingDimension: Bool = false) throws -> Tensor {
        let length = shape[try normalizedAxis(axis, operation: "mean")]
        return try sum(alongAxis: axis, keepingDimension: keepingDimension).scaled(by: 1 / Float(length))
    }

    public func mean() throws -> Tensor {
        try sum().scaled(by: 1 / Float(scalarCount))
    }

    /// Largest element along `axis`; its gradient goes to the first position holding it.
    public func max(alongAxis axis: Int, keepingDimension: Bool = false) throws -> Tensor {
        let axis = try normalizedAxis(axis, operation: "max")
        let (outer, length, inner) = split(at: axis)
        guard length > 0 else {
            throw TensorError.invalidArgument(operation: "max", reason: "axis \(axis) of shape \(describe(shape)) is empty")
        }
        let output = Tensor.uninitialized(reducedShape(axis, keeping: keepingDimension))
        var argmax = [Int32](repeating: 0, count: outer * inner)
        argmax.withUnsafeMutableBufferPointer { indices in
            maxMiddleAxis(output: output.pointer, argmax: indices.baseAddress!, input: pointer, outer: outer, length: length, inner: inner)
        }
        let inputShape = shape
        return Tape.record("max", output: output, inputs: [self]) { gradient, _ in
            let result = Tensor.uninitialized(inputShape)
            argmax.withUnsafeBufferPointer { indices in
                maxMiddleAxisBackward(dinput: result.pointer, argmax: indices.baseAddress!, doutput: gradient.pointer, outer: outer, length: length, inner: inner)
            }
            return [result]
        }
    }
}
