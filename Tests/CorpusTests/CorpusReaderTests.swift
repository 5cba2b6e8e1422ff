import CorpusIO
import Foundation
import Testing

@Suite struct CorpusReaderTests {
    @Test func readsTheSampleCorpusShards() throws {
        var texts: [String] = []
        let report = try CorpusReader(files: sampleTrainShards + [sampleValidationShard]).forEachDocument { texts.append($0.text) }
        #expect(report == CorpusReport(files: 3, documents: 399, skipped: [:]))
        #expect(texts.allSatisfy { !$0.isEmpty })
        #expect(texts[0].hasPrefix("NOMBRE uts_namespaces - Visión general"))
    }

    @Test func badLinesAreCountedSkippedAndNamed() throws {
        let path = try temporaryFolder().appendingPathComponent("mixed.jsonl").path
        var bytes = Data()
        bytes.append(Data(#"{"text": "uno", "url": "a"}"#.utf8)); bytes.append(0x0A)
        bytes.append(Data(#"{"text": "dos"#.utf8)); bytes.append(0x0A)                    // line 2: cut short
        bytes.append(Data(#"{"text": "tr"#.utf8)); bytes.append(contentsOf: [0xC3, 0x28]) // line 3: bad UTF-8
        bytes.append(Data(#"s"}"#.utf8)); bytes.append(0x0A)
        bytes.append(Data(#"{"url": "no text"}"#.utf8)); bytes.append(0x0A)               // line 4
        bytes.append(0x0A)                                                                   // line 5: blank, ignored
        bytes.append(Data(#"{"text": "cinco\nseis"}"#.utf8))                              // line 6, no final newline
        try bytes.write(to: URL(fileURLWithPath: path))
        var warnings: [String] = [], texts: [String] = []
        var reader = CorpusReader(files: [path])
        reader.warn = { warnings.append($0) }
        let report = try reader.forEachDocument { texts.append($0.text) }
        #expect(texts == ["uno", "cinco\nseis"])
        #expect(report.skipped == ["malformed JSON": 1, "invalid UTF-8": 1, "no text field": 1])
        #expect(warnings == ["\(path):2: malformed JSON; line skipped", "\(path):3: invalid UTF-8; line skipped", "\(path):4: no text field; line skipped"])
        #expect(report.description == "1 files, 2 documents read, 3 skipped (1 invalid UTF-8, 1 malformed JSON, 1 no text field)")
    }

    @Test func truncatedGzipKeepsWhatCameBeforeAndSaysSo() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: sampleValidationShard))
        let path = try temporaryFolder().appendingPathComponent("cut.json.gz").path
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        var warnings: [String] = []
        var reader = CorpusReader(files: [path])
        reader.warn = { warnings.append($0) }
        let report = try reader.forEachDocument { _ in }
        #expect(report.documents > 5 && report.documents < 39)
        #expect(report.skipped == ["damaged file": 1])
        #expect(warnings.last == "\(path): the gzip stream is truncated (the file ends mid-stream); the documents before the damage were read")
    }

    @Test func concatenatedGzipMembersAndOurWriterRoundTrip() throws {
        let folder = try temporaryFolder()
        let parts = try (0..<2).map { index -> Data in
            let path = folder.appendingPathComponent("part\(index).json.gz").path
            let writer = try GzipLineWriter(path: path)
            for n in 0..<1000 { try writer.write(line: Array("{\"text\": \"documento \(index)-\(n) ñ\"}".utf8)) }
            try writer.finish()
            return try Data(contentsOf: URL(fileURLWithPath: path))
        }
        let joined = folder.appendingPathComponent("joined.json.gz")
        try (parts[0] + parts[1]).write(to: joined)
        var texts: [String] = []
        let report = try CorpusReader(files: [joined.path]).forEachDocument { texts.append($0.text) }
        #expect(report.documents == 2000 && report.skipped.isEmpty)
        #expect(texts[1999] == "documento 1-999 ñ")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["joined.json.gz", "part0.json.gz", "part1.json.gz"])
    }

    @Test func missingFileIsAnError() {
        #expect(message { try CorpusReader(files: ["/nonexistent/c4-es.json.gz"]).forEachDocument { _ in } }
            == "/nonexistent/c4-es.json.gz: no such file")
    }
}
