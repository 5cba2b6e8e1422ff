import AtomicFiles
import Foundation

/// What a resumable corpus job has finished, kept in its output folder under `.progress/`:
/// `settings.json` (everything the outputs depend on: a rerun must match it, or it would mix two
/// jobs' files) and `unit-NNNNN.json` per finished unit, written only after the unit's outputs are
/// renamed into place. A killed job therefore loses only its units in progress, and a rerun, with
/// any number of processes, redoes exactly those. Every process of a job reads and writes the same
/// folder (a shared file system across nodes); nothing here blocks on another process.
public struct JobProgress {
    public let output: URL
    let folder: URL

    /// Opens (creating if needed) the progress of a job writing to `output`, whose outputs depend
    /// on `settings`. `kind` names the command in messages.
    public init(output: String, kind: String, settings: [String: String]) throws {
        self.output = URL(fileURLWithPath: output)
        folder = self.output.appendingPathComponent(".progress")
        let settingsPath = folder.appendingPathComponent("settings.json").path
        let manager = FileManager.default
        if manager.fileExists(atPath: self.output.path), !manager.fileExists(atPath: settingsPath) {
            let visible = ((try? manager.contentsOfDirectory(atPath: self.output.path)) ?? []).filter { !$0.hasPrefix(".") }
            guard visible.isEmpty else {
                throw CorpusError.invalidInput(path: output, reason: "holds files that no \(kind) job wrote (no .progress/settings.json); choose an empty or new folder")
            }
        }
        do { try manager.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw CorpusError.unreadableFile(path: folder.path, reason: "cannot create: \(error.localizedDescription)")
        }
        let encoded = try Self.encode(settings)
        if let existing = manager.contents(atPath: settingsPath) {
            let previous = (try? JSONDecoder().decode([String: String].self, from: existing)) ?? [:]
            let differing = Set(previous.keys).union(settings.keys).filter { previous[$0] != settings[$0] }.sorted()
            guard differing.isEmpty else {
                let details = differing.map { "\($0): \(previous[$0] ?? "none") then, \(settings[$0] ?? "none") now" }.joined(separator: "; ")
                throw CorpusError.invalidInput(path: output, reason: "holds a \(kind) job with other settings (\(details)); rerun with the same settings to resume it, or choose another folder")
            }
        } else {
            // Processes starting together may all write it: they write the same bytes.
            try AtomicFile.write(to: settingsPath) { try $0.write(contentsOf: encoded) }
        }
    }

    private func recordPath(_ unit: Int) -> String {
        folder.appendingPathComponent(String(format: "unit-%05d.json", unit)).path
    }

    /// The record of a finished unit, or nil while it is not finished.
    public func record<Record: Decodable>(of unit: Int, as type: Record.Type) -> Record? {
        guard let data = FileManager.default.contents(atPath: recordPath(unit)) else { return nil }
        return try? JSONDecoder().decode(Record.self, from: data)
    }

    /// Marks `unit` finished; call after its outputs are in place.
    public func finish<Record: Encodable>(unit: Int, record: Record) throws {
        let data = try Self.encode(record)
        try AtomicFile.write(to: recordPath(unit)) { try $0.write(contentsOf: data) }
    }

    /// Removes what killed processes left of outputs whose names start with one of `prefixes`
    /// (their `.<name>.partial-<pid>` temporaries): call before redoing the unit that writes them.
    public func removeLeftovers(startingWith prefixes: [String]) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []
        for entry in entries where entry.contains(".partial-") && prefixes.contains(where: { entry.hasPrefix(".\($0)") }) {
            try? FileManager.default.removeItem(at: output.appendingPathComponent(entry))
        }
    }

    /// Names files by their content (for settings): a 64-bit MurmurHash of each present file's bytes.
    public static func identity(ofFiles paths: [String]) -> String {
        paths.compactMap { path -> String? in
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            let hash = data.withUnsafeBytes { KenLMHash.word($0) }
            return "\(URL(fileURLWithPath: path).lastPathComponent):\(String(hash, radix: 16))"
        }.joined(separator: " ")
    }

    /// Names an input list (for settings): the count and a hash of the file names in order (names,
    /// not paths, so the same corpus moved elsewhere resumes).
    public static func identity(ofInputs files: [String]) -> String {
        let names = files.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: "\n")
        return "\(files.count) files, names hash \(String(KenLMHash.word(names), radix: 16))"
    }

    public static func encode<Value: Encodable>(_ value: Value) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(value)
    }
}
