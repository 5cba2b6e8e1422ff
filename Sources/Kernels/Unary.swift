import Foundation

/// Pointwise functions with their derivatives. exp and both GELUs run on eight lanes
/// (VectorMath.swift); log and tanh go through libm per element. The loops are
/// cut across threads.
public enum UnaryFunction: Sendable {
    case negate, exp, log, tanh, relu, sqrt
    /// Exact GELU, `0.5 x (1 + erf(x / √2))` (BERT/RoBERTa's `gelu`).
    case gelu
    /// Tanh GELU, `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))` (GPT-J's `gelu_new`).
    case geluTanh

    @inline(__always) public func value(_ x: Float) -> Float {
        switch self {
        case .negate: return -x
        case .exp: return vectorExp(Vector(repeating: x))[0]
        case .log: return Foundation.log(x)
        case .tanh: return Foundation.tanh(x)
        case .relu: return x > 0 ? x : 0
        case .sqrt: return x.squareRoot()
        case .gelu: return vectorGELU(Vector(repeating: x))[0]
        case .geluTanh: return vectorGELUTanh(Vector(repeating: x))[0]
        }
    }

    /// d value / dx, from the input `x` and the output `y` (whichever is cheaper).
    @inline(__always) public func derivative(x: Float, y: Float) -> Float {
        switch self {
        case .negate: return -1
        case .exp: return y
        case .log: return 1 / x
        case .tanh: return 1 - y * y
        case .relu: return x > 0 ? 1 : 0
        case .sqrt: return 0.5 / y
        case .gelu: return vectorGELUDerivative(Vector(repeating: x))[0]
        case .geluTanh: return vectorGELUTanhDerivative(Vector(repeating: x))[0]
        }
    }
}

/// `out[i] = f(x[i])` over `range` with an eight-lane function; the tail goes through the same
/// lanes so every element sees one formula.
@inline(__always)
func mapLanes(output out: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, _ range: Range<Int>, _ f: (Vector) -> Vector) {
    var i = range.lowerBound
    while i + vectorWidth <= range.upperBound {
        out.storeVector(f(x.vector(at: i)), at: i)
        i += vectorWidth
    }
    while i < range.upperBound { out[i] = f(Vector(repeating: x[i]))[0]; i += 1 }
}

/// `out[i] = f(x[i])`. The function is chosen once per range, outside the loop.
public func unaryForward(output out: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, function: UnaryFunction, count: Int) {
    parallelFor(count, grain: parallelGrain) { range in
        switch function {
        case .exp: mapLanes(output: out, input: x, range, vectorExp)
        case .relu: for i in range { out[i] = UnaryFunction.relu.value(x[i]) }
        case .negate: for i in range { out[i] = -x[i] }
        case .sqrt: for i in range { out[i] = x[i].squareRoot() }
        case .log: for i in range { out[i] = UnaryFunction.log.value(x[i]) }
        case .tanh: for i in range { out[i] = UnaryFunction.tanh.value(x[i]) }
        case .gelu: mapLanes(output: out, input: x, range, vectorGELU)
        case .geluTanh: mapLanes(output: out, input: x, range, vectorGELUTanh)
        }
    }
}

/// `dx[i] = dy[i] · f'(x[i])` (overwrites dx).
public func unaryBackward(
    dinput dx: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, output y: UnsafePointer<Float>,
    doutput dy: UnsafePointer<Float>, function: UnaryFunction, count: Int
) {
    parallelFor(count, grain: parallelGrain) { range in
        let lanes: ((Vector) -> Vector)? = switch function {
        case .gelu: vectorGELUDerivative
        case .geluTanh: vectorGELUTanhDerivative
        default: nil
        }
        if let lanes {
            var i = range.lowerBound
            while i + vectorWidth <= range.upperBound {
                dx.storeVector(dy.vector(at: i) * lanes(x.vector(at: i)), at: i)
                i += vectorWidth
            }
            while i < range.upperBound { dx[i] = dy[i] * function.derivative(x: x[i], y: y[i]); i += 1 }
            return
        }
        for i in range { dx[i] = dy[i] * function.derivative(x: x[i], y: y[i]) }
    }
}

/// `out[i] = x[i] * scale + shift`.
public func affine(output out: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, scale: Float, shift: Float, count: Int) {
    parallelFor(count, grain: parallelGrain) { range in
        var i = range.lowerBound
        let s = Vector(repeating: scale), b = Vector(repeating: shift)
        while i + vectorWidth <= range.upperBound {
            out.storeVector(x.vector(at: i) * s + b, at: i)
            i += vectorWidth
        }
        while i < range.upperBound { out[i] = x[i] * scale + shift; i += 1 }
    }
}

/// `y[i] += x[i]`: gradient accumulation.
public func addInPlace(output y: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, count: Int) {
    parallelFor(count, grain: parallelGrain) { range in
        var i = range.lowerBound
        while i + vectorWidth <= range.upperBound {
            y.storeVector(y.vector(at: i) + x.vector(at: i), at: i)
            i += vectorWidth
        }
        while i < range.upperBound { y[i] += x[i]; i += 1 }
    }
}
