import Foundation

/// The part of a sharded corpus job one process does: share `index` of `count`. A job is cut into
/// numbered units (input files, or groups of them); unit `u` belongs to share `u % count`, so every
/// share starts at the front of the corpus. Outputs depend only on the units, never on the shares:
/// any `count` writes the same files.
public struct WorkShare: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    /// The whole job in one process.
    public static let whole = WorkShare(uncheckedIndex: 0, count: 1)

    private init(uncheckedIndex index: Int, count: Int) { (self.index, self.count) = (index, count) }

    public init(index: Int, count: Int) throws {
        guard count >= 1, (0..<count).contains(index) else {
            throw CorpusError.invalidInput(path: "--shard", reason: "share \(index) of \(count) does not exist: shares are numbered 0 ..< N")
        }
        self.init(uncheckedIndex: index, count: count)
    }

    /// `--shard i/N` (0-based: 0/4 … 3/4).
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw CorpusError.invalidInput(path: "--shard", reason: "\"\(text)\" is not i/N (for example 0/4 … 3/4)")
        }
        try self.init(index: index, count: count)
    }

    public func owns(_ unit: Int) -> Bool { unit % count == index }

    /// This share's units among `0 ..< units`, in order.
    public func units(of units: Int) -> [Int] { Array(stride(from: index, to: units, by: count)) }

    public var description: String { "\(index)/\(count)" }
}
