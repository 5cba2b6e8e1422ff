/// What went wrong in a tensor operation, naming the operation and the shapes it was given.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    case shapeMismatch(operation: String, shapes: [[Int]], reason: String)
    case indexOutOfRange(operation: String, index: Int, validRange: Range<Int>)
    case invalidArgument(operation: String, reason: String)
    case notDifferentiable(reason: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(operation, shapes, reason):
            let listed = shapes.map { "[\($0.map(String.init).joined(separator: ", "))]" }.joined(separator: " and ")
            return "\(operation): shapes \(listed) do not fit: \(reason)"
        case let .indexOutOfRange(operation, index, validRange):
            return "\(operation): index \(index) is outside \(validRange.lowerBound)..<\(validRange.upperBound)"
        case let .invalidArgument(operation, reason):
            return "\(operation): \(reason)"
        case let .notDifferentiable(reason):
            return "gradient: \(reason)"
        }
    }
}

func describe(_ shape: [Int]) -> String { "[\(shape.map(String.init).joined(separator: ", "))]" }
