/// Why a checkpoint could not be written or read; every case names the file, and the dataset when
/// one is at fault.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case file(path: String, reason: String)
    case dataset(path: String, dataset: String, reason: String)

    public var description: String {
        switch self {
        case .file(let path, let reason): return "\(path): \(reason)"
        case .dataset(let path, let dataset, let reason): return "\(path): dataset \(dataset): \(reason)"
        }
    }

    /// The same error with `note` added to its reason.
    func appending(_ note: String) -> CheckpointError {
        switch self {
        case .file(let path, let reason): return .file(path: path, reason: reason + note)
        case .dataset(let path, let dataset, let reason): return .dataset(path: path, dataset: dataset, reason: reason + note)
        }
    }
}
