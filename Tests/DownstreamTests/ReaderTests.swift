import Downstream
import Foundation
import Testing

@Suite struct ReaderTests {
    static let conll = """
        -DOCSTART- -DOCSTART- O

        El DA O
        Tribunal NC B-ORG
        Supremo AQ I-ORG
        .\tFp\tO

        Madrid NC B-LOC


        dijo VMI O
        """ + "\n"

    @Test func conllRoundTripKeepsEveryLine() throws {
        let path = try temporaryFile("train.conll", Self.conll)
        let file = try TaggedFile(path: path)
        #expect(file.format == .conll && file.isLabelled)
        #expect(file.sentences.map(\.words) == [["El", "Tribunal", "Supremo", "."], ["Madrid"], ["dijo"]])
        #expect(file.sentences[0].labels == ["O", "B-ORG", "I-ORG", "O"])
        #expect(file.lineNumber(sentence: 2, word: 0) == 11)
        // Written back with gold labels as predictions: the input with one more column on word lines.
        let written = try file.text(appending: file.sentences.map { $0.labels.map { $0! } })
        let expected = Self.conll.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard !line.isEmpty, !line.hasPrefix("-DOCSTART-") else { return String(line) }
            let last = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).last!
            return line + (line.contains("\t") ? "\t" : " ") + last
        }.joined(separator: "\n")
        #expect(written == expected)
        // Reading the written file with the original label column gives the same sentences back.
        let again = try TaggedFile(path: try temporaryFile("again.conll", written), labelColumn: 2)
        #expect(again.sentences == file.sentences)
    }

    @Test func labelColumnAndUnlabelledFiles() throws {
        let file = try TaggedFile(path: try temporaryFile("x.conll", Self.conll), labelColumn: 1)
        #expect(file.sentences[0].labels == ["DA", "NC", "AQ", "Fp"])
        let words = try TaggedFile(path: try temporaryFile("words.txt", "Hola\nmundo\n\nadiós\n"))
        #expect(!words.isLabelled && words.sentences.map(\.words) == [["Hola", "mundo"], ["adiós"]])
    }

    @Test func conllUReadsUPOSAndSkipsRangesAndComments() throws {
        let text = """
            # sent_id = 1
            # text = Del mundo
            1-2\tDel\t_\t_\t_\t_\t_\t_\t_\t_
            1\tDe\tde\tADP\t_\t_\t3\tcase\t_\t_
            2\tel\tel\tDET\t_\t_\t3\tdet\t_\t_
            3\tmundo\tmundo\tNOUN\t_\t_\t0\troot\t_\t_
            3.1\tx\tx\t_\t_\t_\t_\t_\t_\t_

            1\tHola\thola\tINTJ\t_\t_\t0\troot\t_\t_
            """ + "\n"
        let file = try TaggedFile(path: try temporaryFile("es.conllu", text))
        #expect(file.format == .conllu)
        #expect(file.sentences.map(\.words) == [["De", "el", "mundo"], ["Hola"]])
        #expect(file.sentences[0].labels == ["ADP", "DET", "NOUN"])
        let written = try file.text(appending: [["A", "B", "C"], ["D"]])
        let lines = written.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "# sent_id = 1" && lines[2] == "1-2\tDel\t_\t_\t_\t_\t_\t_\t_\t_" && lines[3].hasSuffix("\t_\tA") && lines[6].hasSuffix("\t_"))
        #expect(lines.count == text.split(separator: "\n", omittingEmptySubsequences: false).count)
    }

    @Test func badInputNamesFileAndLine() throws {
        let wrongColumns = try temporaryFile("bad.conll", "El DA O\nTribunal B-ORG\n")
        #expect(throws: DownstreamError.invalidInput(path: wrongColumns, line: 2, reason: "2 columns, but the file's first word line has 3")) {
            try TaggedFile(path: wrongColumns)
        }
        let invalid = try temporaryFile("bad-utf8.conll", Data("El O\n".utf8) + Data([0x66, 0xFF, 0x20, 0x4F, 0x0A]))
        #expect(throws: DownstreamError.invalidInput(path: invalid, line: 2, reason: "invalid UTF-8")) { try TaggedFile(path: invalid) }
        let conllu = try temporaryFile("bad.conllu", "1\tHola\tINTJ\n")
        #expect(throws: DownstreamError.invalidInput(path: conllu, line: 1, reason: "3 tab-separated columns; CoNLL-U has 10")) { try TaggedFile(path: conllu) }
        #expect(throws: DownstreamError.self) { try TaggedFile(path: "/nonexistent/file.conll") }
        let json = try temporaryFile("bad.jsonl", "{\"text\": \"hola\", \"label\": \"A\"}\n{\"text\": 3}\n")
        do {
            _ = try TextClassificationFile(path: json)
            Issue.record("a non-string text must fail")
        } catch let error as DownstreamError {
            #expect("\(error)".hasPrefix("\(json):2: not a {"), "\(error)")
        }
    }

    @Test func jsonLinesKeepTheirTextAndGainAPrediction() throws {
        let text = """
            {"text": "Subió la bolsa", "label": "MCAT", "id": 7}
            {"text": "A", "text_pair": "B", "label": 2}

            {"text": "sin etiqueta"}
            """
        let file = try TextClassificationFile(path: try temporaryFile("docs.jsonl", text))
        #expect(file.examples.map(\.label) == ["MCAT", "2", nil] && file.examples[1].pair == "B" && !file.isLabelled)
        let written = try file.text(appending: ["ECAT", "1", "GCAT"])
        #expect(written == """
            {"text": "Subió la bolsa", "label": "MCAT", "id": 7, "prediction": "ECAT"}
            {"text": "A", "text_pair": "B", "label": 2, "prediction": "1"}

            {"text": "sin etiqueta", "prediction": "GCAT"}
            """)
    }
}
