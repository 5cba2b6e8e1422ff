import Kernels

/// The parameters a model function reads. Bound to a tape, every parameter it hands out sends
/// its gradient into the store's gradient buffer; unbound, they are plain constants (evaluation).
public final class Parameters {
    public let store: ParameterStore
    let tape: Tape?
    fileprivate var handedOut: [String: Tensor] = [:]
    /// Leaf id on the tape → index of the parameter in `store.entries`; shared by the `Parameters`
    /// of one tape (a block's scoped ones write into their parent's).
    final class LeafEntries { var map: [Int: Int] = [:] }
    let leafEntries: LeafEntries
    var entryOfLeaf: [Int: Int] { leafEntries.map }
    /// Blocks passed to `recomputed` keep only their input and recompute the rest in backward.
    let recomputesBlocks: Bool
    /// Told each parameter's entry index once backward has completed its gradient.
    let gradientReady: ((Int) -> Void)?
    /// Parameters read inside blocks (`recomputed`), which must not be read outside them: a block's may be
    /// dropped between passes, and recomputed blocks complete their gradients inside their backward.
    var namesInRecomputedBlocks: Set<String> = []
    /// Sharded parameters (ZeRO-3): gathered before they are handed out.
    let residency: ParameterResidency?

    init(store: ParameterStore, tape: Tape?, recomputesBlocks: Bool = false, gradientReady: ((Int) -> Void)? = nil,
         residency: ParameterResidency? = nil, leafEntries: LeafEntries = LeafEntries()) {
        self.leafEntries = leafEntries
        self.store = store
        self.tape = tape
        self.recomputesBlocks = recomputesBlocks
        self.gradientReady = gradientReady
        self.residency = residency
    }

    /// The parameter `name`; asking twice gives the same tensor (so tied weights share one leaf).
    public subscript(_ name: String) -> Tensor {
        get throws {
            if namesInRecomputedBlocks.contains(name) {
                throw TensorError.invalidArgument(operation: "Parameters", reason: "\(name) is read both inside a block and outside it")
            }
            if let existing = handedOut[name] { return existing }
            if let residency { residency.require(try store.index(of: name)) }
            let value = try store.value(name)
            let tensor = try tape.map { try $0.parameter(value, accumulatingInto: try store.gradient(name)) } ?? value
            if let id = tensor.node?.id { leafEntries.map[id] = try store.index(of: name) }
            handedOut[name] = tensor
            return tensor
        }
    }
}

extension Parameters {
    /// Names handed out so far.
    var namesRead: Set<String> { Set(handedOut.keys) }
    /// Their indices in the store's entries, ascending.
    var entriesRead: [Int] { handedOut.keys.compactMap { try? store.index(of: $0) }.sorted() }
    func isHandedOut(_ name: String) -> Bool { handedOut[name] != nil }
}

extension ParameterStore {
    /// Evaluates `body` and adds d(result)/d(parameter) into `gradients` (it accumulates: call
    /// `zeroGradients()` between optimizer steps). Returns the scalar result. `gradientReady` is
    /// told the index (in `entries`) of each parameter as soon as backward has finished its gradient
    /// (data-parallel training starts communicating then); parameters the result does not depend on
    /// are never reported. With `recompute`, blocks the model passes to `Parameters.recomputed` keep
    /// only their input during forward and are recomputed in backward (same bits, less memory).
    /// `residency`: the parameters are sharded (ZeRO-3) and gathered as they are read; a block's
    /// are dropped after its forward and gathered again for its backward (see `Parameters.recomputed`).
    @discardableResult
    public func valueWithGradient(gradientReady: ((Int) -> Void)? = nil, recompute: Bool = false, residency: ParameterResidency? = nil,
                                  _ body: (Parameters) throws -> Tensor) throws -> Float {
        let tape = Tape()
        let parameters = Parameters(store: self, tape: tape, recomputesBlocks: recompute, gradientReady: gradientReady, residency: residency)
        if let gradientReady {
            tape.sinkCompleted = { [unowned parameters] id in
                if let entry = parameters.entryOfLeaf[id] { gradientReady(entry) }
            }
        }
        let result = try body(parameters)
        guard result.scalarCount == 1 else {
            throw TensorError.invalidArgument(operation: "valueWithGradient", reason: "the function returned shape \(describe(result.shape)), not a scalar")
        }
        if result.isDifferentiable { try tape.backward(from: result) }
        return try result.scalar
    }

    /// Evaluates `body` with constant parameters: nothing is recorded. `residency`: sharded
    /// parameters, gathered as they are read and dropped after each block.
    public func value<Result>(residency: ParameterResidency? = nil, _ body: (Parameters) throws -> Result) rethrows -> Result {
        try body(Parameters(store: self, tape: nil, residency: residency))
    }
}

/// The value of `body` at `points` and the gradient of Σ seed ⊙ value with respect to each point.
/// Without a seed the value must be a single element (the seed is then 1).
public func valueWithGradient(
    at points: [Tensor], seed: Tensor? = nil, of body: ([Tensor]) throws -> Tensor
) throws -> (value: Tensor, gradients: [Tensor]) {
    let tape = Tape()
    let variables = points.map { tape.variable($0) }
    let value = try body(variables)
    if value.isDifferentiable {
        try tape.backward(from: value, seed: seed)
    }
    return (value.detached, try variables.map { try tape.gradient(of: $0) })
}
