import Kernels

/// Pointwise functions (primitives): one kernel pair each, derivative beside the value.
public enum GELUApproximation: Sendable {
    /// Exact, with erf: BERT's and RoBERTa's `gelu`.
    case none
    /// With tanh: GPT-2's and GPT-J's `gelu_new`.
    case tanh
}

extension Tensor {
    func pointwise(_ function: UnaryFunction, _ name: String) -> Tensor {
        let output = Tensor.uninitialized(shape)
        unaryForward(output: output.pointer, input: pointer, function: function, count: scalarCount)
        let input = detached
        return Tape.record(name, output: output, inputs: [self]) { gradient, _ in
            let result = Tensor.uninitialized(input.shape)
            unaryBackward(dinput: result.pointer, input: input.pointer, output: output.pointer, doutput: gradient.pointer, function: function, count: input.scalarCount)
            return [result]
        }
    }

    public func exp() -> Tensor { pointwise(.exp, "exp") }
    public func log() -> Tensor { pointwise(.log, "log") }
    public func tanh() -> Tensor { pointwise(.tanh, "tanh") }
    public func relu() -> Tensor { pointwise(.relu, "relu") }
    public func squareRoot() -> Tensor { pointwise(.sqrt, "sqrt") }
    public func gelu(approximation: GELUApproximation = .none) -> Tensor {
        switch approximation {
        case .none: return pointwise(.gelu, "gelu")
        case .tanh: return pointwise(.geluTanh, "gelu_tanh")
        }
    }
    public func squared() throws -> Tensor { try self * self }
}
