/// Activation recomputation (gradient checkpointing) per block.
extension Parameters {
    /// `block(p, x)`, a function of `x` and of parameters read only inside it. While recomputing
    /// (see `ParameterStore.valueWithGradient(recompute:)`) forward runs it without recording and
    /// keeps only `x`; backward runs it again on a tape of its own and back-propagates through it
    /// at once, adding into the same gradient buffers in the same order: the result is bit for bit
    /// that of recording everything. Otherwise it is just `block(self, x)`.
    public func recomputed(_ x: Tensor, _ block: @escaping (Parameters, Tensor) throws -> Tensor) throws -> Tensor {
        guard recomputesBlocks, let tape, tape.isRecording else { return try block(self, x) }
        let constants = Parameters(store: store, tape: nil)
        let output = try block(constants, x.detached)
        let names = constants.namesRead
        if let shared = names.first(where: { isHandedOut($0) }) {
            throw TensorError.invalidArgument(operation: "Parameters.recomputed", reason: "\(shared) is read both inside a recomputed block and outside it")
        }
        namesInRecomputedBlocks.formUnion(names)
        let store = self.store, gradientReady = self.gradientReady, input = x.detached
        return tape.record("recomputed block", output: output, inputs: [x]) { gradient, needed in
            let inner = Tape()
            let parameters = Parameters(store: store, tape: inner)
            if let gradientReady {
                inner.sinkCompleted = { [unowned parameters] id in
                    if let entry = parameters.entryOfLeaf[id] { gradientReady(entry) }
                }
            }
            let variable = inner.variable(input)
            let recomputed = try block(parameters, variable)
            try inner.backward(from: recomputed, seed: gradient)
            return [needed[0] ? try inner.gradient(of: variable) : nil]
        }
    }
}
