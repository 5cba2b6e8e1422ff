import Foundation

/// One parser of a user's files under fuzzing: its seed files, and how to hand it one mutated
/// input. `read` gets the path of a work folder holding the mutated file under `fileName` (beside
/// unmutated companions some parsers need, as a tokenizer's vocab beside its merges) and must
/// either succeed or throw an error whose description names the file it could not read.
public struct FuzzTarget: Sendable {
    public let name: String
    /// Seed files, relative to the repository root.
    public let seeds: [String]
    /// The name the mutated input gets in the work folder (its extension matters to some parsers).
    public let fileName: String
    /// Files copied unmutated beside the input, relative to the repository root.
    public let companions: [String]
    /// Reads the input at `path` (inside `folder`).
    public let read: @Sendable (_ path: String, _ folder: String) throws -> Void

    public init(name: String, seeds: [String], fileName: String, companions: [String] = [],
                read: @escaping @Sendable (_ path: String, _ folder: String) throws -> Void) {
        (self.name, self.seeds, self.fileName, self.companions, self.read) = (name, seeds, fileName, companions, read)
    }
}
