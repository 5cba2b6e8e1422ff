/// One document of an mC4-format corpus: its text and where it came from. `json` keeps the line
/// as read, so a sampled shard can be written back byte for byte.
public struct Document: Sendable {
    public let text: String
    public let json: [UInt8]
    public let file: String
    public let line: Int
}

/// What a corpus pass read and what it skipped, and why.
public struct CorpusReport: Codable, Equatable, Sendable, CustomStringConvertible {
    public var files = 0
    public var documents = 0
    /// Skipped lines by reason ("malformed JSON", "invalid UTF-8", "no text field"), and damaged files.
    public var skipped: [String: Int] = [:]

    public init(files: Int = 0, documents: Int = 0, skipped: [String: Int] = [:]) {
        (self.files, self.documents, self.skipped) = (files, documents, skipped)
    }

    public var skippedCount: Int { skipped.values.reduce(0, +) }

    public mutating func merge(_ other: CorpusReport) {
        files += other.files
        documents += other.documents
        skipped.merge(other.skipped, uniquingKeysWith: +)
    }

    public var description: String {
        let reasons = skipped.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        return "\(files) files, \(documents) documents read, \(skippedCount) skipped" + (reasons.isEmpty ? "" : " (\(reasons))")
    }
}
