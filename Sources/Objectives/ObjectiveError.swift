/// An objective that cannot train on what it was given.
public enum ObjectiveError: Error, Equatable, CustomStringConvertible {
    /// The prepared rows lack something the objective needs (a `<mask>` token).
    case unsuitableRows(String)
    /// No objective of that name is registered.
    case unknown(String)
    /// The model has no objective that scores a ready batch (`bertin eval`).
    case cannotScore(String)

    public var description: String {
        switch self {
        case .unsuitableRows(let reason): return "invalid recipe: \(reason)"
        case .unknown(let name): return "objective \"\(name)\" is not known (known: \(ObjectiveRegistry.names.joined(separator: ", ")))"
        case .cannotScore(let reason): return "cannot score a batch: \(reason)"
        }
    }
}
