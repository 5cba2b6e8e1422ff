public enum OptimizationError: Error, Equatable, CustomStringConvertible {
    case invalidSchedule(String)
    case invalidConfiguration(String)
    case nonFiniteGradient(norm: Double)

    public var description: String {
        switch self {
        case .invalidSchedule(let reason): return "invalid learning-rate schedule: \(reason)"
        case .invalidConfiguration(let reason): return "invalid optimizer configuration: \(reason)"
        case .nonFiniteGradient(let norm): return "the gradient's global norm is \(norm): refusing to update (the loss or a gradient is NaN or infinite)"
        }
    }
}
