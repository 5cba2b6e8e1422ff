/// A problem with a fine-tuning or evaluation file, named by path and (1-based) line.
public enum DownstreamError: Error, Equatable, CustomStringConvertible {
    case invalidInput(path: String, line: Int?, reason: String)

    public var description: String {
        switch self {
        case .invalidInput(let path, let line, let reason):
            return line.map { "\(path):\($0): \(reason)" } ?? "\(path): \(reason)"
        }
    }
}
