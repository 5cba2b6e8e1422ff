import Kernels

/// Shape and layout: reshape is a free view; permutation, slicing and concatenation copy.
extension Tensor {
    /// The same storage under another shape; one dimension may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var resolved = newShape
        let known = newShape.filter { $0 != -1 }.reduce(1, *)
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        let fail = TensorError.shapeMismatch(operation: "reshape", shapes: [shape, newShape], reason: "element counts differ")
        guard inferred.count <= 1, newShape.allSatisfy({ $0 >= -1 }) else { throw fail }
        if let axis = inferred.first {
            guard known > 0, scalarCount % known == 0 else { throw fail }
            resolved[axis] = scalarCount / known
        }
        guard resolved.reduce(1, *) == scalarCount else { throw fail }
        let output = Tensor(shape: resolved, storage: storage)
        let inputShape = shape
        return Tape.record("reshape", output: output, inputs: [self]) { gradient, _ in
            [Tensor(shape: inputShape, storage: gradient.storage)]
        }
    }

    /// Axis `i` of the result is axis `axes[i]` of `self` (a copy).
    public func permuted(_ axes: [Int]) throws -> Tensor {
        guard axes.count == rank, Set(axes) == Set(0..<rank) else {
            throw TensorError.invalidArgument(operation: "permute", reason: "\(axes) is not a permutation of the axes of \(describe(shape))")
        }
        let output = Tensor.uninitialized(axes.map { shape[$0] })
        permuteCopy(output: output.pointer, input: pointer, shape: shape, permutation: axes)
        var inverse = [Int](repeating: 0, count: rank)
        for (position, axis) in axes.enumerated() { inverse[axis] = position }
        return Tape.record("permute", output: output, inputs: [self]) { gradient, _ in
            [try gradient.permuted(inverse)]
        }
    }

    /// Swaps two axes (a copy): `[B, T, H, D] → [B, H, T, D]` is `transposed(1, 2)`.
    public func transposed(_ first: Int, _ second: Int) throws -> Tensor {
        var axes = Array(0..<rank)
        let a = try normalizedAxis(first, operation: "transpose"), b = try normalizedAxis(second, operation: "transpose")
        axes.swapAt(a, b)
        return try permuted(axes)
    }

    /// Elements `range` along `axis` (a copy); the gradient lands back in place, zeros elsewhere.
    public func slice(alongAxis axis: Int, _ range: Range<Int>) throws -> Tensor {
        let axis = try normalizedAxis(axis, operation: "slice")
        guard range.lowerBound >= 0, range.upperBound <= shape[axis] else {
            throw TensorError.invalidArgument(
                operation: "slice", reason: "range \(range.lowerBound)..<\(range.upperBound) is outside axis \(axis) of \(describe(shape))")
        }
        let (outer, length, inner) = split(at: axis)
        var outputShape = shape
        outputShape[axis] = range.count
        let output = Tensor.uninitialized(outputShape)
        copyRuns(to: output.pointer, targetStride: range.count * inner, from: pointer + range.lowerBound * inner, sourceStride: length * inner, rows: outer, width: range.count * inner)
        let inputShape = shape
        return Tape.record("slice", output: output, inputs: [self]) { gradient, _ in
            let result = Tensor.zeros(inputShape)
            copyRuns(to: result.pointer + range.lowerBound * inner, targetStride: length * inner, from: gradient.pointer, sourceStride: range.count * inner, rows: outer, width: range.count * inner)
            return [result]
        }
    }

    /// Joins tensors along `axis`; all other axes must agree.
    public static func concatenate(_ parts: [Tensor], alongAxis axis: Int) throws -> Tensor {
        guard let first = parts.first else {
            throw TensorError.invalidArgument(operation: "concatenate", reason: "nothing to concatenate")
        }
        let axis = try first.normalizedAxis(axis, operation: "concatenate")
        for part in parts where part.rank != first.rank
            || part.shape.enumerated().contains(where: { $0.offset != axis && $0.element != first.shape[$0.offset] }) {
            throw TensorError.shapeMismatch(operation: "concatenate", shapes: parts.map(\.shape), reason: "all axes but \(axis) must agree")
        }
        var outputShape = first.shape
        outputShape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        let output = Tensor.uninitialized(outputShape)
        let (outer, total, inner) = output.split(at: axis)
        var offset = 0
        var offsets: [Int] = []
        for part in parts {
            let width = part.shape[axis] * inner
            copyRuns(to: output.pointer + offset * inner, targetStride: total * inner, from: part.pointer, sourceStride: width, rows: outer, width: width)
            offsets.append(offset)
            offset += part.shape[axis]
        }
        let sizes = parts.map { $0.shape[axis] }
        return Tape.record("concatenate", output: output, inputs: parts) { gradient, needed in
            try sizes.indices.map { index in
                guard needed[index] else { return nil }
                return try gradient.slice(alongAxis: axis, offsets[index]..<(offsets[index] + sizes[index]))
            }
        }
    }
}
