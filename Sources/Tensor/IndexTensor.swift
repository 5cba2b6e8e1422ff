/// Integer indices with a shape: token ids for an embedding, targets for a loss.
public struct IndexTensor: Equatable, Sendable {
    public let shape: [Int]
    public let indices: [Int32]

    public init(shape: [Int], indices: [Int32]) throws {
        guard shape.reduce(1, *) == indices.count, shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidArgument(
                operation: "IndexTensor", reason: "shape \(describe(shape)) does not hold \(indices.count) indices")
        }
        self.shape = shape
        self.indices = indices
    }

    public var count: Int { indices.count }

    /// Throws unless every index lies in `range`, or equals one of `allowing`.
    func validate(operation: String, in range: Range<Int>, allowing exceptions: Set<Int32> = []) throws {
        for index in indices where !range.contains(Int(index)) && !exceptions.contains(index) {
            throw TensorError.indexOutOfRange(operation: operation, index: Int(index), validRange: range)
        }
    }
}
