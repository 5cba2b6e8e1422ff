public enum InteropError: Error, Equatable, CustomStringConvertible {
    case invalidFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidFile(let path, let reason): return "\(path): \(reason)"
        }
    }
}
