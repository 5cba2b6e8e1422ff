import CorpusIO
import Foundation
import NGram
import Testing

/// Every form kenlm reads, against kenlm 0.3.0 itself: a 5-gram by lmplz, its five binary forms by
/// build_binary, and kenlm's Python module's scores on each (Scripts/reference/make-kenlm-fixture.sh).
/// kenlm computes in float32 and the fixture holds its values exactly, so the scores must be equal,
/// not close.
@Suite struct KenLMBinaryTests {
    struct Document: Decodable {
        let log_score: Double
        let words: Int
        let perplexity: Double
    }
    struct Scores: Decodable {
        let order: Int
        let same_as: String?
        let scores: [Double]?
        let full_scores: [[[Double]]]?
        let documents: [Document]?
    }
    struct Pruned: Decodable {
        let lines: [String]
        let scores: [Double]
        let full_scores: [[[Double]]]
    }
    struct Fixture: Decodable {
        let lines: [String]
        let documents: [String]
        let models: [String: Scores]
        let srilm_pruned: Pruned
    }

    static let fixture = try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: URL(fileURLWithPath: fixturePath("kenlm/kenlm-scores.json"))))
    static let files: [String: (file: String, form: NGramModel.Form)] = [
        "arpa": ("sample-5gram.arpa.gz", .arpa), "probing": ("sample-5gram.probing.bin", .probing), "trie": ("sample-5gram.trie.bin", .trie),
        "quant-trie": ("sample-5gram.quant-trie.bin", .quantizedTrie), "array-trie": ("sample-5gram.array-trie.bin", .arrayTrie),
        "quant-array-trie": ("sample-5gram.quant-array-trie.bin", .quantizedArrayTrie),
    ]

    static func scores(_ name: String) -> Scores {
        let entry = fixture.models[name]!
        return entry.same_as.map { fixture.models[$0]! } ?? entry
    }

    @Test(arguments: ["arpa", "probing", "trie", "quant-trie", "array-trie", "quant-array-trie"])
    func scoresEqualKenlms(form name: String) throws {
        let (file, form) = Self.files[name]!
        let model = try NGramModel(path: fixturePath("kenlm/\(file)"))
        #expect(model.form == form)
        #expect(model.order == Self.fixture.models[name]!.order)
        let expected = Self.scores(name)
        var words = 0, longest = 0, unknown = 0
        for (index, line) in Self.fixture.lines.enumerated() {
            let ours = model.fullScores(line)
            let theirs = expected.full_scores![index]
            #expect(ours.count == theirs.count, "\(line.prefix(60))")
            for (word, (score, reference)) in zip(ours, theirs).enumerated() {
                #expect(score.probability == Float(reference[0]) && score.ngramLength == Int(reference[1]) && score.isUnknown == (reference[2] != 0),
                        "\(name): word \(word) of \"\(line.prefix(60))\": \(score) vs kenlm \(reference)")
                words += 1
                if score.ngramLength == 5 { longest += 1 }
                if score.isUnknown { unknown += 1 }
            }
            #expect(model.score(line) == expected.scores![index], "\(name): line score of \"\(line.prefix(60))\"")
        }
        // The fixture reaches every order and unknown words.
        #expect(words > 4000 && longest > 100 && unknown > 100, "\(words) words, \(longest) 5-gram matches, \(unknown) unknown")
        #expect(Self.fixture.documents.count == expected.documents!.count)
        for (text, reference) in zip(Self.fixture.documents, expected.documents!) {
            let ours = DocumentPerplexity(text: text, model: model)
            #expect(ours.logScore == reference.log_score && ours.words == reference.words, "\(name): \(text.prefix(40))")
            #expect(abs(ours.perplexity - reference.perplexity) <= 1e-12 * reference.perplexity)
        }
    }

    @Test func quantisedFormsScoreDifferently() {
        // Guards the fixture itself: -q 8 -b 8 must change scores, or the quantised reader is untested.
        #expect(Self.scores("quant-trie").scores! != Self.scores("trie").scores!)
        #expect(Self.fixture.models["quant-array-trie"]!.same_as == "quant-trie")
        #expect(Self.fixture.models["probing"]!.same_as == "arpa" && Self.fixture.models["trie"]!.same_as == "arpa")
    }

    @Test func buildBinaryWritesWhatKenlmWrites() throws {
        let folder = try temporaryFolder()
        let output = folder.appendingPathComponent("ours.bin").path
        try NGramModel(arpaPath: fixturePath("kenlm/sample-5gram.arpa.gz")).writeProbingBinary(to: output)
        let ours = try Data(contentsOf: URL(fileURLWithPath: output))
        let kenlms = try Data(contentsOf: URL(fileURLWithPath: fixturePath("kenlm/sample-5gram.probing.bin")))
        #expect(ours.count == kenlms.count)
        #expect(ours == kenlms, "first difference at byte \(zip(ours, kenlms).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["ours.bin"], "no temporary file left behind")
        // A binary is not written again as a binary.
        let binary = try NGramModel(path: output)
        #expect(message { try binary.writeProbingBinary(to: output + ".again") }.contains("only a model read from an ARPA file"))
    }

    @Test func srilmPrunedSuffixesGetKenlmsBlanks() throws {
        // "la casa roja" is listed but its suffix "casa roja" is not: kenlm inserts a blank 2-gram
        // with the backed-off probability, and "roja" after "casa" then matches 2 words.
        let arpa = fixturePath("kenlm/srilm-pruned.arpa")
        let model = try NGramModel(path: arpa)
        let pruned = Self.fixture.srilm_pruned
        for (index, line) in pruned.lines.enumerated() {
            let ours = model.fullScores(line).map { [Double($0.probability), Double($0.ngramLength), $0.isUnknown ? 1 : 0] }
            #expect(ours == pruned.full_scores[index], "\(line)")
            #expect(model.score(line) == pruned.scores[index], "\(line)")
        }
        #expect(pruned.full_scores[1][1] == [Double(Float(-1.1)), 2, 0], "the fixture exercises the blank")
        let output = try temporaryFolder().appendingPathComponent("pruned.bin").path
        try model.writeProbingBinary(to: output)
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == Data(contentsOf: URL(fileURLWithPath: fixturePath("kenlm/srilm-pruned.probing.bin"))))
    }

    @Test func damagedBinariesAreNamed() throws {
        let folder = try temporaryFolder()
        func damaged(_ name: String, _ change: (inout Data) -> Void) throws -> String {
            var bytes = try Data(contentsOf: URL(fileURLWithPath: fixturePath("kenlm/\(name)")))
            change(&bytes)
            let path = folder.appendingPathComponent("damaged-\(name)").path
            try bytes.write(to: URL(fileURLWithPath: path))
            return message { _ = try NGramModel(path: path) }.replacingOccurrences(of: path, with: "FILE")
        }
        #expect(try damaged("sample-5gram.probing.bin") { $0 = $0.prefix(400_000) }
                == "FILE: truncated: the file has 400000 bytes; the tables its header declares end at byte 599800")
        #expect(try damaged("sample-5gram.trie.bin") { $0 = $0.prefix(300_000) }
                == "FILE: truncated: the file has 300000 bytes; the 3-gram array ends at byte 332650")
        #expect(try damaged("sample-5gram.probing.bin") { $0 = $0.prefix(599_803) }  // inside "<unk>", the first word
                == "FILE: truncated or damaged: the vocabulary's words do not follow the tables at byte 599800")
        #expect(try damaged("sample-5gram.probing.bin") { $0.replaceSubrange(0..<45, with: Array("mmap lm http://kheafield.com/code incomplete\n".utf8)) }
                == "FILE: this KenLM binary file did not finish building (build_binary stopped before the end)")
        #expect(try damaged("sample-5gram.trie.bin") { $0[49] = UInt8(ascii: "4") }
                == "FILE: KenLM binary format version 4; only format version 5 (kenlm since 2012) is read: rebuild it from the ARPA file")
        #expect(try damaged("sample-5gram.quant-trie.bin") { $0[60] ^= 0xFF }
                == "FILE: the KenLM binary header's test values do not match this machine (built on another architecture?)")
        #expect(try damaged("sample-5gram.probing.bin") { $0[96] = 9 }  // model type
                == "FILE: unknown KenLM model type 9")
        #expect(message { _ = try NGramModel(path: folder.appendingPathComponent("missing.bin").path) }.hasSuffix("missing.bin: no such file"))
    }
}
