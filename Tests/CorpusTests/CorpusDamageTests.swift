import CorpusIO
import Foundation
import Testing

/// Corpus files damaged in the ways README promises to handle: each is named, and what can be
/// read before the damage is read.
@Suite struct CorpusDamageTests {
    func read(_ path: String) -> (texts: [String], warnings: [String], report: String) {
        var texts: [String] = [], warnings: [String] = []
        var reader = CorpusReader(files: [path])
        reader.warn = { warnings.append($0) }
        do {
            let report = try reader.forEachDocument { texts.append($0.text) }
            return (texts, warnings, report.description)
        } catch { return (texts, warnings, "error: \(error)") }
    }

    @Test func aTextThatIsNotAStringIsASkippedLine() throws {
        let path = try temporaryFolder().appendingPathComponent("types.jsonl").path
        try "{\"text\": 42}\n{\"text\": [\"a\"]}\n{\"text\": null}\n{\"text\": \"bien\"}\n".write(toFile: path, atomically: true, encoding: .utf8)
        let (texts, warnings, report) = read(path)
        #expect(texts == ["bien"])
        #expect(warnings == (1...3).map { "\(path):\($0): text is not a string; line skipped" }, "\(warnings)")
        #expect(report == "1 files, 1 documents read, 3 skipped (3 text is not a string)", "\(report)")
    }

    /// Content decides (gzip's magic bytes), and the misleading name is named.
    @Test func bytesThatAreNotGzipUnderAGzNameAreReadAsTheyAreAndNamed() throws {
        let path = try temporaryFolder().appendingPathComponent("plain.json.gz").path
        try "{\"text\": \"uno\"}\n".write(toFile: path, atomically: true, encoding: .utf8)
        let (texts, warnings, _) = read(path)
        #expect(texts == ["uno"])
        #expect(warnings == ["\(path): named .gz but holds no gzip data; read as plain JSON lines"])
    }

    /// A damaged CRC-32 in the member's trailer: every line inflated before the check is kept, and
    /// the file is reported damaged with the offset.
    @Test func aGzipCRCErrorKeepsWhatCameBefore() throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: sampleValidationShard))
        data[data.count - 6] ^= 0xFF  // the last 8 bytes of a member: CRC-32, then length
        let path = try temporaryFolder().appendingPathComponent("crc.json.gz").path
        try data.write(to: URL(fileURLWithPath: path))
        let (texts, warnings, report) = read(path)
        #expect(texts.count == 39, "the shard's 39 documents precede its trailer")
        #expect(warnings.count == 1)
        #expect(warnings.first?.hasPrefix("\(path): corrupt gzip data after ") == true, "\(warnings)")
        #expect(warnings.first?.hasSuffix(" compressed bytes; the documents before the damage were read") == true, "\(warnings)")
        #expect(report == "1 files, 39 documents read, 1 skipped (1 damaged file)", "\(report)")
    }

    @Test(arguments: ["empty.jsonl", "empty.json.gz"])
    func anEmptyFileHasNoDocumentsAndIsNamed(name: String) throws {
        let path = try temporaryFolder().appendingPathComponent(name).path
        FileManager.default.createFile(atPath: path, contents: Data())
        let (texts, warnings, report) = read(path)
        #expect(texts.isEmpty)
        #expect(warnings == ["\(path): the file is empty"])
        #expect(report == "1 files, 0 documents read, 0 skipped", "\(report)")
    }
}
