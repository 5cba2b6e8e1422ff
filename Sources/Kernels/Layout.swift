/// Copies that change layout: axis permutation and block copies (slicing, concatenation).

/// Row-major strides of a shape.
public func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var running = 1
    for axis in shape.indices.reversed() {
        strides[axis] = running
        running *= shape[axis]
    }
    return strides
}

/// `out = x.permuted(permutation)`: output axis `i` is input axis `permutation[i]`; out is contiguous.
public func permuteCopy(output out: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, shape: [Int], permutation: [Int]) {
    let inputStrides = contiguousStrides(shape)
    let outShape = permutation.map { shape[$0] }
    let strides = permutation.map { inputStrides[$0] }
    let rank = outShape.count
    let total = outShape.reduce(1, *)
    guard total > 0 else { return }
    guard rank > 0 else { out[0] = x[0]; return }
    let inner = outShape[rank - 1], innerStride = strides[rank - 1]
    let rows = total / inner
    parallelFor(rows, grain: rowGrain(inner)) { range in
        for row in range {
            var remainder = row, offset = 0
            var axis = rank - 2
            while axis >= 0 {
                offset += (remainder % outShape[axis]) * strides[axis]
                remainder /= outShape[axis]
                axis -= 1
            }
            let source = x + offset, target = out + row * inner
            if innerStride == 1 {
                target.update(from: source, count: inner)
            } else {
                for i in 0..<inner { target[i] = source[i * innerStride] }
            }
        }
    }
}

/// Copies `rows` runs of `width` floats, run `r` from `source + r * sourceStride` to
/// `target + r * targetStride`. With the view `[outer, length, inner]` this slices and concatenates.
public func copyRuns(
    to target: UnsafeMutablePointer<Float>, targetStride: Int, from source: UnsafePointer<Float>, sourceStride: Int,
    rows: Int, width: Int
) {
    guard width > 0 else { return }
    parallelFor(rows, grain: rowGrain(width)) { range in
        for row in range {
            (target + row * targetStride).update(from: source + row * sourceStride, count: width)
        }
    }
}
