import Kernels

extension Tensor {
    /// Inverted dropout (primitive). The keep mask comes from the counter-based generator keyed by
    /// `key`, so it is the same at any thread count and is regenerated, not stored, for backward.
    /// Outside training, or with probability 0, the input passes through unchanged.
    public func dropout(probability: Float, key: RandomKey, training: Bool = true) throws -> Tensor {
        guard (0..<1).contains(probability) else {
            throw TensorError.invalidArgument(operation: "dropout", reason: "probability \(probability) is outside [0, 1)")
        }
        guard training, probability > 0 else { return self }
        let output = Tensor.uninitialized(shape)
        Kernels.dropout(output: output.pointer, input: pointer, probability: probability, key: key, count: scalarCount)
        return Tape.record("dropout", output: output, inputs: [self]) { gradient, _ in
            let result = Tensor.uninitialized(gradient.shape)
            Kernels.dropout(output: result.pointer, input: gradient.pointer, probability: probability, key: key, count: gradient.scalarCount)
            return [result]
        }
    }
}
