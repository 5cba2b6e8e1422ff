/// Unaligned SIMD loads and stores over raw Float pointers: the building block of the loops here.
public typealias Vector = SIMD8<Float>
public let vectorWidth = 8

extension UnsafePointer where Pointee == Float {
    @inline(__always) func vector(at index: Int) -> Vector {
        UnsafeRawPointer(self + index).loadUnaligned(as: Vector.self)
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    @inline(__always) func vector(at index: Int) -> Vector {
        UnsafeRawPointer(self + index).loadUnaligned(as: Vector.self)
    }

    @inline(__always) func storeVector(_ value: Vector, at index: Int) {
        UnsafeMutableRawPointer(self + index).storeBytes(of: value, as: Vector.self)
    }
}

/// Sum of a contiguous run, eight lanes at a time, then lanes in a fixed order.
@inline(__always)
func vectorSum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
    var accumulator = Vector(repeating: 0)
    var i = 0
    while i + vectorWidth <= count {
        accumulator += x.vector(at: i)
        i += vectorWidth
    }
    var total = accumulator.sum()
    while i < count {
        total += x[i]
        i += 1
    }
    return total
}

/// `Swift.max(a, b)` lane by lane (`b >= a ? b : a`, NaN handling included) as a compare and a
/// blend. The standard library's `pointwiseMax` ran as an out-of-line scalar loop: it was most of
/// GELU's time (17 ns per element forward and backward).
@inline(__always)
public func lanesMax(_ a: Vector, _ b: Vector) -> Vector { a.replacing(with: b, where: b .>= a) }

/// `Swift.min(a, b)` lane by lane (`b < a ? b : a`), as `lanesMax`.
@inline(__always)
public func lanesMin(_ a: Vector, _ b: Vector) -> Vector { a.replacing(with: b, where: b .< a) }

/// Largest element of a non-empty contiguous run.
@inline(__always)
func vectorMax(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
    var best = Vector(repeating: -.infinity)
    var i = 0
    while i + vectorWidth <= count {
        best = lanesMax(best, x.vector(at: i))
        i += vectorWidth
    }
    var result = best.max()
    while i < count {
        result = Swift.max(result, x[i])
        i += 1
    }
    return result
}

/// Σ a[i]·b[i] over a contiguous run.
@inline(__always)
func vectorDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
    var accumulator = Vector(repeating: 0)
    var i = 0
    while i + vectorWidth <= count {
        accumulator += a.vector(at: i) * b.vector(at: i)
        i += vectorWidth
    }
    var total = accumulator.sum()
    while i < count {
        total += a[i] * b[i]
        i += 1
    }
    return total
}

/// x[i] *= factor over a contiguous run.
@inline(__always)
public func scale(_ x: UnsafeMutablePointer<Float>, by factor: Float, count: Int) {
    let factors = Vector(repeating: factor)
    var i = 0
    while i + vectorWidth <= count {
        x.storeVector(x.vector(at: i) * factors, at: i)
        i += vectorWidth
    }
    while i < count { x[i] *= factor; i += 1 }
}
