/// Why corpus input could not be read; every case names the file.
public enum CorpusError: Error, Equatable, CustomStringConvertible {
    case unreadableFile(path: String, reason: String)
    case invalidInput(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): return "\(path): \(reason)"
        case .invalidInput(let path, let reason): return "\(path): \(reason)"
        }
    }
}
