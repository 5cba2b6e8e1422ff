import Kernels

/// Broadcasting, NumPy's rules: shapes are aligned at the right; each pair of dimensions must be
/// equal or one of them 1. Gradients of broadcast operands are summed back here and only here.
enum Broadcasting {
    static func shape(_ a: [Int], _ b: [Int], operation: String) throws -> [Int] {
        let rank = max(a.count, b.count)
        let left = [Int](repeating: 1, count: rank - a.count) + a
        let right = [Int](repeating: 1, count: rank - b.count) + b
        return try (0..<rank).map { axis in
            let (x, y) = (left[axis], right[axis])
            if x == y || y == 1 { return x }
            if x == 1 { return y }
            throw TensorError.shapeMismatch(
                operation: operation, shapes: [a, b],
                reason: "axis \(axis) of the broadcast has sizes \(x) and \(y)")
        }
    }

    /// Strides that read an operand of `shape` at every index of the broadcast `target` shape.
    static func strides(of shape: [Int], broadcastTo target: [Int]) -> [Int] {
        let aligned = [Int](repeating: 1, count: target.count - shape.count) + shape
        let own = contiguousStrides(aligned)
        return target.indices.map { aligned[$0] == 1 ? 0 : own[$0] }
    }

    /// Sums `gradient` (of the broadcast shape) down to `shape`.
    static func reduce(_ gradient: Tensor, to shape: [Int]) -> Tensor {
        if gradient.shape == shape { return gradient }
        let aligned = [Int](repeating: 1, count: gradient.rank - shape.count) + shape
        // Merge neighbouring axes that are all kept or all summed, then sum each summed group.
        var groups: [(size: Int, summed: Bool)] = []
        for axis in gradient.shape.indices {
            let summed = aligned[axis] == 1 && gradient.shape[axis] != 1
            if let last = groups.last, last.summed == summed {
                groups[groups.count - 1].size *= gradient.shape[axis]
            } else {
                groups.append((gradient.shape[axis], summed))
            }
        }
        var current = gradient.detached
        var sizes = groups.map(\.size)
        var index = 0
        while index < sizes.count {
            guard groups[index].summed else { index += 1; continue }
            let outer = sizes[..<index].reduce(1, *), inner = sizes[(index + 1)...].reduce(1, *)
            let result = Tensor.uninitialized([outer * inner])
            sumMiddleAxis(output: result.pointer, input: current.pointer, outer: outer, length: sizes[index], inner: inner)
            current = result
            sizes[index] = 1
            index += 1
        }
        return Tensor(shape: shape, storage: current.storage)
    }
}
