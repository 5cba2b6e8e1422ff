import Kernels

/// Every parameter of a model in ONE contiguous Float32 buffer, with named views, and the
/// gradients in a second buffer with the same layout (llm.c's shape): the optimizer, the MPI
/// allreduce and the checkpoint each see a single array.
///
/// Names and shapes are the transformers state_dict's (`roberta.encoder.layer.0.attention.self.query.weight`,
/// `[out, in]`). Each entry starts on a 16-float (64-byte) boundary so SIMD loops start aligned;
/// the padding between entries is zero and stays zero.
public final class ParameterStore {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        /// What the parameter is, when its model said (nil for stores laid out from names alone).
        public let role: ParameterRole?
        public var count: Int { shape.reduce(1, *) }
    }

    public let entries: [Entry]
    private let index: [String: Int]
    /// All values, entries at their offsets.
    public let values: UnsafeMutableBufferPointer<Float>
    /// All gradients, same layout as `values`.
    public let gradients: UnsafeMutableBufferPointer<Float>
    private let valueBuffer: FloatBuffer
    private let gradientBuffer: FloatBuffer

    static let alignment = 16

    /// Lays out `layout` in order; every value and gradient starts at zero. `roles`, one per entry,
    /// come from the model (`TrainableModel.makeParameterStore`).
    public init(layout: [(name: String, shape: [Int])], roles: [ParameterRole]? = nil) throws {
        if let roles, roles.count != layout.count {
            throw TensorError.invalidArgument(operation: "ParameterStore", reason: "\(roles.count) roles for \(layout.count) parameters")
        }
        var entries: [Entry] = []
        var index: [String: Int] = [:]
        var offset = 0
        for (position, (name, shape)) in layout.enumerated() {
            guard index[name] == nil else {
                throw TensorError.invalidArgument(operation: "ParameterStore", reason: "parameter \(name) appears twice")
            }
            guard shape.allSatisfy({ $0 >= 0 }) else {
                throw TensorError.invalidArgument(operation: "ParameterStore", reason: "parameter \(name) has negative shape \(describe(shape))")
            }
            index[name] = entries.count
            entries.append(Entry(name: name, shape: shape, offset: offset, role: roles?[position]))
            let count = shape.reduce(1, *)
            offset += (count + Self.alignment - 1) / Self.alignment * Self.alignment
        }
        self.entries = entries
        self.index = index
        valueBuffer = FloatBuffer(count: offset, untouched: true)
        gradientBuffer = FloatBuffer(count: offset, untouched: true)
        values = valueBuffer.values
        gradients = gradientBuffer.values
    }

    /// Total floats in each buffer, padding included.
    public var bufferCount: Int { values.count }
    /// Parameters, padding excluded.
    public var parameterCount: Int { entries.reduce(0) { $0 + $1.count } }

    public func entry(named name: String) throws -> Entry {
        guard let position = index[name] else {
            throw TensorError.invalidArgument(operation: "ParameterStore", reason: "no parameter named \(name)")
        }
        return entries[position]
    }

    /// The position of `name` in `entries`.
    public func index(of name: String) throws -> Int {
        guard let position = index[name] else {
            throw TensorError.invalidArgument(operation: "ParameterStore", reason: "no parameter named \(name)")
        }
        return position
    }

    /// The parameter as a tensor viewing the flat buffer (no copy; a constant for differentiation).
    public func value(_ name: String) throws -> Tensor {
        view(of: try entry(named: name), in: values)
    }

    /// The gradient of a parameter as a tensor viewing the gradient buffer.
    public func gradient(_ name: String) throws -> Tensor {
        view(of: try entry(named: name), in: gradients)
    }

    /// Copies `scalars` into a parameter.
    public func set(_ name: String, to scalars: [Float]) throws {
        let entry = try entry(named: name)
        guard scalars.count == entry.count else {
            throw TensorError.shapeMismatch(operation: "ParameterStore.set", shapes: [entry.shape, [scalars.count]], reason: "\(name) holds \(entry.count) values")
        }
        scalars.withUnsafeBufferPointer { source in
            if entry.count > 0 { (values.baseAddress! + entry.offset).update(from: source.baseAddress!, count: entry.count) }
        }
    }

    /// Who decides which values this process keeps (ZeRO-3's gathered parameters); nil: all of them.
    public weak var residency: ParameterResidency?

    /// Code that writes a whole model (initialisation) calls this after each parameter, so values
    /// this process does not keep never stay resident.
    public func settle(_ entry: Entry) { residency?.settle(entry) }

    /// `releasingMemory`: whole pages go back to the OS instead of being written (sharded runs,
    /// whose ranks keep only their own range of the gradients resident).
    public func zeroGradients(releasingMemory: Bool = false) {
        if releasingMemory { zeroReleasingPages(gradients.baseAddress!, count: gradients.count) } else { gradients.update(repeating: 0) }
    }

    private func view(of entry: Entry, in buffer: UnsafeMutableBufferPointer<Float>) -> Tensor {
        Tensor(shape: entry.shape, storage: TensorStorage(borrowing: buffer.baseAddress! + entry.offset, count: entry.count, owner: self))
    }
}
