/// Elementwise binary operations over operands with broadcast strides.
///
/// The tensor layer turns shapes into a `BroadcastPlan`: the output shape and, for each operand,
/// a stride per output axis (0 on a broadcast axis). Axes that are contiguous in both operands
/// are merged first, so `[B, T, C] + [C]` runs as B·T rows of C contiguous elements.
public struct BroadcastPlan: Sendable, Equatable {
    public var shape: [Int]
    public var stridesA: [Int]
    public var stridesB: [Int]

    public init(shape: [Int], stridesA: [Int], stridesB: [Int]) {
        (self.shape, self.stridesA, self.stridesB) = BroadcastPlan.coalesced(shape, stridesA, stridesB)
    }

    public var count: Int { shape.reduce(1, *) }

    static func coalesced(_ shape: [Int], _ a: [Int], _ b: [Int]) -> ([Int], [Int], [Int]) {
        var outShape: [Int] = [], outA: [Int] = [], outB: [Int] = []
        for axis in shape.indices where shape[axis] != 1 {
            if let last = outShape.indices.last,
               outA[last] == a[axis] * shape[axis], outB[last] == b[axis] * shape[axis] {
                outShape[last] *= shape[axis]
                outA[last] = a[axis]
                outB[last] = b[axis]
            } else {
                outShape.append(shape[axis]); outA.append(a[axis]); outB.append(b[axis])
            }
        }
        if outShape.isEmpty { return ([1], [0], [0]) }
        return (outShape, outA, outB)
    }
}

public enum BinaryOperation: Sendable {
    case add, subtract, multiply, divide

    @inline(__always) func apply(_ x: Float, _ y: Float) -> Float {
        switch self {
        case .add: return x + y
        case .subtract: return x - y
        case .multiply: return x * y
        case .divide: return x / y
        }
    }

    @inline(__always) func apply(_ x: Vector, _ y: Vector) -> Vector {
        switch self {
        case .add: return x + y
        case .subtract: return x - y
        case .multiply: return x * y
        case .divide: return x / y
        }
    }
}

/// `out[i] = a[i] op b[i]` with broadcasting as described by `plan`; `out` is contiguous.
public func broadcastBinary(
    output out: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    operation: BinaryOperation, plan: BroadcastPlan
) {
    let rank = plan.shape.count
    let inner = plan.shape[rank - 1]
    let innerA = plan.stridesA[rank - 1], innerB = plan.stridesB[rank - 1]
    let rows = plan.count / inner
    parallelFor(rows, grain: rowGrain(inner)) { rowRange in
        for row in rowRange {
            // Offsets of this row in A and B from its multi-index over the outer axes.
            var remainder = row, offsetA = 0, offsetB = 0
            var axis = rank - 2
            while axis >= 0 {
                let index = remainder % plan.shape[axis]
                remainder /= plan.shape[axis]
                offsetA += index * plan.stridesA[axis]
                offsetB += index * plan.stridesB[axis]
                axis -= 1
            }
            binaryRow(operation, a + offsetA, innerA, b + offsetB, innerB, out + row * inner, inner)
        }
    }
}

@inline(__always)
private func binaryRow(
    _ operation: BinaryOperation, _ a: UnsafePointer<Float>, _ strideA: Int,
    _ b: UnsafePointer<Float>, _ strideB: Int, _ out: UnsafeMutablePointer<Float>, _ count: Int
) {
    var i = 0
    switch (strideA, strideB) {
    case (1, 1):
        while i + vectorWidth <= count {
            out.storeVector(operation.apply(a.vector(at: i), b.vector(at: i)), at: i)
            i += vectorWidth
        }
        while i < count { out[i] = operation.apply(a[i], b[i]); i += 1 }
    case (1, 0):
        let y = b[0], ys = Vector(repeating: y)
        while i + vectorWidth <= count {
            out.storeVector(operation.apply(a.vector(at: i), ys), at: i)
            i += vectorWidth
        }
        while i < count { out[i] = operation.apply(a[i], y); i += 1 }
    case (0, 1):
        let x = a[0], xs = Vector(repeating: x)
        while i + vectorWidth <= count {
            out.storeVector(operation.apply(xs, b.vector(at: i)), at: i)
            i += vectorWidth
        }
        while i < count { out[i] = operation.apply(x, b[i]); i += 1 }
    default:
        while i < count { out[i] = operation.apply(a[i * strideA], b[i * strideB]); i += 1 }
    }
}
