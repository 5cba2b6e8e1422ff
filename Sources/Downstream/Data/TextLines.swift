import Foundation

/// The lines of a UTF-8 text file, checked line by line so that invalid bytes are reported with
/// their line number. A final newline is remembered so that the file can be written back as it was;
/// a `\r` before a newline is dropped (Windows line ends).
struct TextLines {
    let path: String
    var lines: [String]
    var endsWithNewline: Bool

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DownstreamError.invalidInput(path: path, line: nil, reason: "cannot read the file (missing?)")
        }
        self.path = path
        var pieces = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        endsWithNewline = data.last == UInt8(ascii: "\n")
        if endsWithNewline { pieces.removeLast() }
        lines = try pieces.enumerated().map { number, bytes in
            let trimmed = bytes.last == UInt8(ascii: "\r") ? bytes.dropLast() : bytes[...]
            guard let line = String(validating: trimmed, as: UTF8.self) else {
                throw DownstreamError.invalidInput(path: path, line: number + 1, reason: "invalid UTF-8")
            }
            return line
        }
    }

    /// The lines joined back, with the final newline if the file had one.
    static func text(_ lines: [String], endsWithNewline: Bool) -> String {
        lines.joined(separator: "\n") + (endsWithNewline && !lines.isEmpty ? "\n" : "")
    }
}
