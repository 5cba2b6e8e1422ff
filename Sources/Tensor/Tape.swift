import Kernels

/// A tensor's place on a tape. The tape is held weakly so that tensors kept by user code never
/// keep a finished tape (and everything it recorded) alive.
struct TapeNode {
    weak var tape: Tape?
    let id: Int
}

/// Reverse-mode automatic differentiation by recording.
///
/// Every primitive operation whose inputs are on a recording tape appends one record: which
/// nodes it read and a pullback that turns the gradient of its output into gradients of its
/// inputs. `backward` replays the records newest first. Composite operations are built from
/// primitives and need no pullback of their own.
///
/// Leaves are made with `variable(_:)` (their gradient is kept for the caller) or
/// `parameter(_:accumulatingInto:)` (their gradient is added into a buffer, so several backward
/// passes accumulate, as gradient accumulation over micro-batches needs). After `backward`, the
/// records and every intermediate buffer they held are released and the tape can be reused.
public final class Tape {
    /// What a pullback returns: a gradient for each input, or nil where none is needed.
    typealias Pullback = (_ outputGradient: Tensor, _ needed: [Bool]) throws -> [Tensor?]

    /// Adds an input's gradient, computed from the output gradient, straight into a parameter's
    /// gradient buffer (which has that input's shape): no temporary of the parameter's size.
    typealias SinkAccumulator = (_ outputGradient: Tensor, _ sink: UnsafeMutablePointer<Float>) throws -> Void

    struct Record {
        let operation: String
        let inputs: [TapeNode?]
        let pullback: Pullback
        /// Per input index: how to accumulate into a parameter sink directly, when the input is one.
        var accumulators: [Int: SinkAccumulator] = [:]
    }

    enum Leaf {
        case variable
        case sink(Tensor)
    }

    private var nextID = 0
    private var records: [Int: Record] = [:]
    private var leaves: [Int: Leaf] = [:]
    private var keptGradients: [Int: Tensor] = [:]
    /// While false, operations record nothing (evaluation without gradients).
    public private(set) var isRecording = true
    /// Told the id of each parameter leaf as backward adds its gradient into its sink: every
    /// consumer has a later id, so at that moment the parameter's gradient for this pass is complete.
    var sinkCompleted: ((Int) -> Void)?

    public init() {}

    /// Watches `value` as an independent variable: `gradient(of:)` returns its gradient after backward.
    public func variable(_ value: Tensor) -> Tensor {
        let id = makeID()
        leaves[id] = .variable
        return Tensor(shape: value.shape, storage: value.storage, node: TapeNode(tape: self, id: id))
    }

    /// Watches `value` as a parameter whose gradient is added into `sink` (same shape) by backward.
    public func parameter(_ value: Tensor, accumulatingInto sink: Tensor) throws -> Tensor {
        guard value.shape == sink.shape else {
            throw TensorError.shapeMismatch(operation: "Tape.parameter", shapes: [value.shape, sink.shape], reason: "gradient buffer must match the parameter")
        }
        let id = makeID()
        leaves[id] = .sink(sink)
        return Tensor(shape: value.shape, storage: value.storage, node: TapeNode(tape: self, id: id))
    }

    /// Runs `body` without recording: tensors it makes are constants.
    public func withoutRecording<Result>(_ body: () throws -> Result) rethrows -> Result {
        let previous = isRecording
        isRecording = false
        defer { isRecording = previous }
        return try body()
    }

    /// The gradient of a `variable` after `backward` (zeros if nothing reached it).
    public func gradient(of variable: Tensor) throws -> Tensor {
        guard let node = variable.node, node.tape === self, case .variable = leaves[node.id] else {
            throw TensorError.notDifferentiable(reason: "tensor of shape \(describe(variable.shape)) is not a variable of this tape")
        }
        return keptGradients[node.id] ?? Tensor.zeros(variable.shape)
    }

    /// Propagates gradients from `output` back to every leaf, then releases the records.
    /// `seed` is d(objective)/d(output); it defaults to 1 for a single-element output.
    public func backward(from output: Tensor, seed: Tensor? = nil) throws {
        defer { releaseRecords() }
        guard let start = output.node, start.tape === self else {
            throw TensorError.notDifferentiable(reason: "the output of shape \(describe(output.shape)) was not computed on this tape")
        }
        let initial: Tensor
        if let seed {
            guard seed.shape == output.shape else {
                throw TensorError.shapeMismatch(operation: "backward", shapes: [output.shape, seed.shape], reason: "the seed must have the output's shape")
            }
            initial = seed.detached
        } else {
            guard output.scalarCount == 1 else {
                throw TensorError.invalidArgument(operation: "backward", reason: "output of shape \(describe(output.shape)) is not a scalar: pass a seed")
            }
            initial = Tensor(repeating: 1, shape: output.shape)
        }
        var pending: [Int: Tensor] = [start.id: initial]
        keptGradients = [:]
        // Parameter gradients go straight into their sinks as they arrive (no pending copy of a
        // large weight's gradient, no fresh sum per contribution); a sink counts as complete once
        // the walk passes its id, since every consumer has a later one.
        var touchedSinks = Set<Int>()
        func accumulate(_ gradient: Tensor, into sink: Tensor, leaf id: Int) throws {
            guard sink.shape == gradient.shape else {
                throw TensorError.shapeMismatch(operation: "gradient accumulation", shapes: [sink.shape, gradient.shape], reason: "internal: a parameter's gradient has another shape")
            }
            addInPlace(output: sink.pointer, input: gradient.pointer, count: gradient.scalarCount)
            touchedSinks.insert(id)
        }
        // Sinks the walk never reached (it stops once nothing is pending) are complete at the end.
        defer { for id in touchedSinks.sorted(by: >) { sinkCompleted?(id) } }
        for id in stride(from: start.id, through: 0, by: -1) {
            if touchedSinks.remove(id) != nil { sinkCompleted?(id) }
            // Nothing left to propagate: older nodes (earlier micro-steps on a reused tape) are skipped.
            if pending.isEmpty { break }
            guard let gradient = pending.removeValue(forKey: id) else { continue }
            // Taking the record out frees what its pullback captured (activations) as soon as it
            // has run, so memory falls during backward instead of at its end.
            if let record = records.removeValue(forKey: id) {
                // Inputs that are parameters with a direct accumulator are not asked of the pullback.
                var direct: [(Int, Tensor)] = []
                for (index, input) in record.inputs.enumerated() {
                    if let input, record.accumulators[index] != nil, case .sink(let sink)? = leaves[input.id] {
                        direct.append((index, sink))
                    }
                }
                let needed = record.inputs.enumerated().map { index, input in input != nil && !direct.contains { $0.0 == index } }
                for (index, sink) in direct {
                    try record.accumulators[index]!(gradient, sink.pointer)
                    touchedSinks.insert(record.inputs[index]!.id)
                }
                let inputGradients = try record.pullback(gradient, needed)
                for (index, (input, inputGradient)) in zip(record.inputs, inputGradients).enumerated() where needed[index] {
                    guard let input, let inputGradient else { continue }
                    if case .sink(let sink)? = leaves[input.id] {
                        try accumulate(inputGradient, into: sink, leaf: input.id)
                        continue
                    }
                    pending[input.id] = try pending[input.id].map { try $0.addingGradient(inputGradient) } ?? inputGradient
                }
            } else if let leaf = leaves[id] {
                switch leaf {
                case .variable:
                    keptGradients[id] = try keptGradients[id].map { try $0.addingGradient(gradient) } ?? gradient
                case .sink(let sink):  // only when backward starts at a parameter itself
                    try accumulate(gradient, into: sink, leaf: id)
                }
            }
        }
    }

    /// Drops every record (and the buffers their pullbacks hold) without running them.
    public func releaseRecords() {
        records.removeAll(keepingCapacity: true)
    }

    private func makeID() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    /// Records `output` on this tape as made by `operation` from `inputs`, even where no input is on
    /// it (a recomputed block whose parameters are its only differentiable inputs).
    func record(_ operation: String, output: Tensor, inputs: [Tensor], pullback: @escaping Pullback) -> Tensor {
        let inputNodes: [TapeNode?] = inputs.map { input in
            guard let node = input.node, node.tape === self else { return nil }
            return node
        }
        let id = makeID()
        records[id] = Record(operation: operation, inputs: inputNodes, pullback: pullback)
        return Tensor(shape: output.shape, storage: output.storage, node: TapeNode(tape: self, id: id))
    }

    /// Records `output` as made by `operation` from `inputs`; returns it attached to the tape, or
    /// unchanged when no input needs a gradient.
    static func record(_ operation: String, output: Tensor, inputs: [Tensor], accumulators: [Int: SinkAccumulator] = [:],
                       pullback: @escaping Pullback) -> Tensor {
        var tape: Tape?
        for input in inputs {
            if let candidate = input.node?.tape, candidate.isRecording { tape = candidate; break }
        }
        guard let tape else { return output }
        let inputNodes: [TapeNode?] = inputs.map { input in
            guard let node = input.node, node.tape === tape else { return nil }
            return node
        }
        let id = tape.makeID()
        tape.records[id] = Record(operation: operation, inputs: inputNodes, pullback: pullback, accumulators: accumulators)
        return Tensor(shape: output.shape, storage: output.storage, node: TapeNode(tape: tape, id: id))
    }
}

extension Tensor {
    /// A fresh sum of two gradients (neither is written: pullbacks may hand out shared buffers).
    func addingGradient(_ other: Tensor) throws -> Tensor {
        guard shape == other.shape else {
            throw TensorError.shapeMismatch(operation: "gradient accumulation", shapes: [shape, other.shape], reason: "internal: gradients of one node disagree")
        }
        let result = Tensor.uninitialized(shape)
        result.pointer.update(from: pointer, count: scalarCount)
        addInPlace(output: result.pointer, input: other.pointer, count: scalarCount)
        return result
    }
}
