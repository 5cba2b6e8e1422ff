import Foundation

enum Fixtures {
    static func url(_ name: String) -> URL { Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)! }
    static func json(_ name: String) throws -> Any { try JSONSerialization.jsonObject(with: try Data(contentsOf: url(name))) }
    /// The committed test tokenizer (CorpusTests' fixture, trained by tokenizers on the sample corpus).
    static var tokenizerDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("CorpusTests/Fixtures/tokenizer").path
    }
}

/// Writes `text` to a fresh temporary file named `name` and returns its path.
func temporaryFile(_ name: String, _ text: String) throws -> String {
    try temporaryFile(name, Data(text.utf8))
}

func temporaryFile(_ name: String, _ data: Data) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertin-downstream-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let url = folder.appendingPathComponent(name)
    try data.write(to: url)
    return url.path
}
