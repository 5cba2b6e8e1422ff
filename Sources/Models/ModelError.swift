/// Why a model could not be built or run.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case invalidConfig(String)
    case invalidBatch(String)

    public var description: String {
        switch self {
        case .invalidConfig(let reason): return "invalid model config: \(reason)"
        case .invalidBatch(let reason): return "invalid batch: \(reason)"
        }
    }
}
