import Foundation

/// Streams the documents of mC4-format files (gzip or plain JSON lines with a `text` field), one
/// file at a time. Bad lines are skipped, counted by reason and reported through `warn` with file and
/// line (at most `warningsPerFile` per file, then a count); a missing file throws.
public struct CorpusReader {
    public let files: [String]
    public var warn: (String) -> Void = { FileHandle.standardError.write(Data(("warning: " + $0 + "\n").utf8)) }
    public var warningsPerFile = 10
    /// Called now and then with the bytes of the current file read so far (for progress lines).
    public var progress: ((_ bytesRead: Int) -> Void)?

    public init(files: [String]) {
        self.files = files
    }

    /// Calls `body` with every good document in order; returns what was read and skipped.
    @discardableResult
    public func forEachDocument(_ body: (Document) throws -> Void) throws -> CorpusReport {
        var report = CorpusReport()
        for path in files {
            report.merge(try readFile(path, body))
        }
        return report
    }

    /// One file's documents.
    public func readFile(_ path: String, _ body: (Document) throws -> Void) throws -> CorpusReport {
        let reader = try LineReader(path: path)
        var report = CorpusReport(files: 1)
        // Content decides how a file is read; a name that says otherwise, or nothing at all to
        // read, is worth a word (a download cut short, a shard renamed by hand).
        if reader.bytesRead == 0 {
            warn("\(path): the file is empty")
        } else if path.hasSuffix(".gz") && !reader.isGzip {
            warn("\(path): named .gz but holds no gzip data; read as plain JSON lines")
        }
        var warned = 0
        func skip(_ reason: String, _ line: Int) {
            report.skipped[reason, default: 0] += 1
            warned += 1
            if warned <= warningsPerFile { warn("\(path):\(line): \(reason); line skipped") }
        }
        while let line = reader.nextLine() {
            if let progress, reader.lineNumber % 256 == 0 { progress(reader.bytesRead) }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            guard let text = String(validating: line, as: UTF8.self) else { skip("invalid UTF-8", reader.lineNumber); continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                skip("malformed JSON", reader.lineNumber)
                continue
            }
            guard let field = object["text"] else { skip("no text field", reader.lineNumber); continue }
            guard let documentText = field as? String else { skip("text is not a string", reader.lineNumber); continue }
            report.documents += 1
            try body(Document(text: documentText, json: Array(line), file: path, line: reader.lineNumber))
        }
        if let damage = reader.damage {
            report.skipped["damaged file", default: 0] += 1
            warn("\(path): \(damage); the documents before the damage were read")
        }
        if warned > warningsPerFile { warn("\(path): \(warned - warningsPerFile) more skipped lines") }
        progress?(reader.bytesRead)
        return report
    }
}
