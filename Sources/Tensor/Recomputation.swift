/// Activation recomputation (gradient checkpointing) per block.
extension Parameters {
    /// `block(p, x)`, a function of `x` and of parameters read only inside it. While recomputing
    /// (see `ParameterStore.valueWithGradient(recompute:)`) forward runs it without recording and
    /// keeps only `x`; backward runs it again on a tape of its own and back-propagates through it
    /// at once, adding into the same gradient buffers in the same order: the result is bit for bit
    /// that of recording everything. Otherwise it is just `block(self, x)`. With sharded
    /// parameters (`residency`) the block's parameters are gathered for each pass over it (forward,
    /// backward or recomputation) and dropped after.
    public func recomputed(_ x: Tensor, _ block: @escaping (Parameters, Tensor) throws -> Tensor) throws -> Tensor {
        guard let tape, tape.isRecording else {
            guard let residency else { return try block(self, x) }
            return try Parameters.scoped(Parameters(store: store, tape: nil, residency: residency)) { try block($0, x) }
        }
        guard recomputesBlocks else {
            guard let residency else { return try block(self, x) }
            return try gatheredForEachPass(x, residency: residency, tape: tape, block)
        }
        let output = try Parameters.scoped(Parameters(store: store, tape: nil, residency: residency)) { constants in
            let output = try block(constants, x.detached)
            try claimBlockParameters(of: constants)
            return output
        }
        let store = self.store, gradientReady = self.gradientReady, residency = self.residency, input = x.detached
        return tape.record("recomputed block", output: output, inputs: [x]) { gradient, needed in
            let inner = Tape()
            let parameters = Parameters(store: store, tape: inner, residency: residency)
            if let gradientReady {
                inner.sinkCompleted = { [unowned parameters] id in
                    if let entry = parameters.entryOfLeaf[id] { gradientReady(entry) }
                }
            }
            return try Parameters.scoped(parameters) { parameters in
                let variable = inner.variable(input)
                let recomputed = try block(parameters, variable)
                try inner.backward(from: recomputed, seed: gradient)
                return [needed[0] ? try inner.gradient(of: variable) : nil]
            }
        }
    }

    /// ZeRO-3 without recomputation, FSDP's way: the block records as usual, its parameters are
    /// dropped after its forward; a marker on its output gathers them again when backward reaches
    /// the block, and a marker on its input drops them once backward has left it.
    private func gatheredForEachPass(_ x: Tensor, residency: ParameterResidency, tape: Tape,
                                     _ block: (Parameters, Tensor) throws -> Tensor) throws -> Tensor {
        final class Entries { var indices: [Int] = [] }
        let entries = Entries()
        let entered = tape.record("drop block parameters", output: x, inputs: [x]) { gradient, _ in
            residency.release(entries.indices)
            return [gradient]
        }
        let scoped = Parameters(store: store, tape: tape, gradientReady: gradientReady, residency: residency, leafEntries: leafEntries)
        let output = try Parameters.scoped(scoped) { scoped in
            let output = try block(scoped, entered)
            try claimBlockParameters(of: scoped)
            entries.indices = scoped.entriesRead
            return output
        }
        return tape.record("gather block parameters", output: output, inputs: [output]) { gradient, _ in
            for index in entries.indices { residency.require(index) }
            return [gradient]
        }
    }

    /// The parameters a block read belong to it: read outside it before, or after, is an error
    /// (they may be dropped between passes, and a recomputed block completes their gradients).
    private func claimBlockParameters(of block: Parameters) throws {
        if let shared = block.namesRead.first(where: { isHandedOut($0) }) {
            throw TensorError.invalidArgument(operation: "Parameters.recomputed", reason: "\(shared) is read both inside a block and outside it")
        }
        namesInRecomputedBlocks.formUnion(block.namesRead)
    }

    /// Runs `body` on `parameters`, then gives back (to the residency) every parameter it read.
    static func scoped<Result>(_ parameters: Parameters, _ body: (Parameters) throws -> Result) throws -> Result {
        defer { parameters.residency?.release(parameters.entriesRead) }
        return try body(parameters)
    }
}
