import Kernels

/// A Float32 tensor: a shape over contiguous row-major storage.
///
/// Tensors are values: operations return new tensors and never write into their inputs.
/// `reshaped` is a free view of the same storage; every other layout change is an explicit copy.
/// A tensor produced on a `Tape` remembers its place there so gradients can flow back to it.
///
/// Shape letters are the project's (Sources/Kernels/CallingConvention.swift): B batch, T time,
/// R = B·T rows, C channels, H heads, D head size, V vocabulary, N chosen rows.
public struct Tensor {
    public let shape: [Int]
    let storage: TensorStorage
    /// The tape node this tensor is the output of, if it takes part in differentiation.
    let node: TapeNode?

    init(shape: [Int], storage: TensorStorage, node: TapeNode? = nil) {
        self.shape = shape
        self.storage = storage
        self.node = node
    }

    /// A tensor holding `scalars` in row-major order.
    public init(shape: [Int], scalars: [Float]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidArgument(operation: "Tensor(shape:scalars:)", reason: "negative dimension in \(describe(shape))")
        }
        let count = shape.reduce(1, *)
        guard count == scalars.count else {
            throw TensorError.invalidArgument(
                operation: "Tensor(shape:scalars:)",
                reason: "shape \(describe(shape)) holds \(count) elements but \(scalars.count) were given")
        }
        let storage = TensorStorage(count: count)
        scalars.withUnsafeBufferPointer { source in
            if count > 0 { storage.pointer.update(from: source.baseAddress!, count: count) }
        }
        self.init(shape: shape, storage: storage)
    }

    /// A rank-0 tensor.
    public init(_ scalar: Float) {
        let storage = TensorStorage(count: 1)
        storage.pointer[0] = scalar
        self.init(shape: [], storage: storage)
    }

    /// A tensor of `shape` filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        let count = shape.reduce(1, *)
        let storage = TensorStorage(count: count)
        storage.pointer.update(repeating: value, count: count)
        self.init(shape: shape, storage: storage)
    }

    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }

    /// Uninitialised storage for an operation to fill.
    static func uninitialized(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(count: shape.reduce(1, *)))
    }

    public var rank: Int { shape.count }
    public var scalarCount: Int { shape.reduce(1, *) }

    /// The elements, copied out in row-major order.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: scalarCount)) }

    /// The single element of a one-element tensor.
    public var scalar: Float {
        get throws {
            guard scalarCount == 1 else {
                throw TensorError.invalidArgument(operation: "scalar", reason: "tensor of shape \(describe(shape)) is not a single element")
            }
            return storage.pointer[0]
        }
    }

    /// Read access to the elements without copying.
    public func withUnsafeBufferPointer<Result>(_ body: (UnsafeBufferPointer<Float>) throws -> Result) rethrows -> Result {
        try body(UnsafeBufferPointer(start: storage.pointer, count: scalarCount))
    }

    var pointer: UnsafeMutablePointer<Float> { storage.pointer }

    /// The same values cut off from any tape: a constant for differentiation.
    public var detached: Tensor { Tensor(shape: shape, storage: storage) }

    /// Whether gradients flow back through this tensor.
    public var isDifferentiable: Bool { node?.tape != nil }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(describe(shape)), [\(shown)\(scalarCount > 8 ? ", …" : "")])"
    }
}
