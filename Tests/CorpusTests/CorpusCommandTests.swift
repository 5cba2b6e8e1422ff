import Foundation
import Testing
import TestSupport

/// The corpus commands as a user runs them (through the binary), against kenlm's and tokenizers'
/// fixtures: perplexity, ngram build-binary / info, tokenizer encode / decode, and sample's
/// estimation flags.
@Suite struct CorpusCommandTests {
    /// `texts` as mC4 JSON lines in a new file.
    static func jsonLines(_ texts: [String], _ name: String) throws -> String {
        let path = try temporaryFolder().appendingPathComponent(name).path
        let lines = try texts.map { String(decoding: try JSONSerialization.data(withJSONObject: ["text": $0]), as: UTF8.self) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func objects(_ output: String) throws -> [[String: Any]] {
        try output.split(separator: "\n").filter { $0.hasPrefix("{") }.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    static let arpa = sampleCorpus.appendingPathComponent("sample-3gram.arpa.gz").path

    /// One line per document: kenlm's log10 score (the same float sum), word count and perplexity.
    @Test(arguments: [false, true])
    func perplexityScoresDocumentsAsKenlm(ccnet: Bool) throws {
        let fixture = NGramModelTests.fixture
        let cases: [(text: String, logScore: Double, words: Int)] = ccnet
            ? fixture.normalized_documents.map { ($0.text, $0.log_score, $0.words) }
            : fixture.documents.map { ($0.text, $0.log_score, $0.words) }
        let input = try Self.jsonLines(cases.map(\.text), "documents.json")
        let outcome = try runBertin(["perplexity", "--model", Self.arpa, input] + (ccnet ? ["--ccnet-normalize"] : []))
        #expect(outcome.status == 0, "\(outcome.output)")
        // JSONDecoder, not JSONSerialization: the latter's number parser is not correctly rounded on Linux.
        struct Line: Decodable { let log10_score: Double; let words: Int; let perplexity: Double }
        let lines = try outcome.output.split(separator: "\n").filter { $0.hasPrefix("{") }.map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
        #expect(lines.count == cases.count, "\(outcome.output)")
        for (line, expected) in zip(lines, cases) {
            let (logScore, words, perplexity) = (line.log10_score, line.words, line.perplexity)
            #expect(logScore == expected.logScore && words == expected.words, "\(expected.text.prefix(40)): \(line)")
            let kenlms = Foundation.pow(10, -expected.logScore / Double(expected.words))
            #expect(abs(perplexity - kenlms) <= 4 * kenlms.ulp, "\(perplexity) vs \(kenlms)")
        }
    }

    /// build-binary writes kenlm's build_binary probing file byte for byte; info reads every form.
    @Test func ngramBuildBinaryAndInfo() throws {
        let output = try temporaryFolder().appendingPathComponent("lm.bin").path
        let built = try runBertin(["ngram", "build-binary", fixturePath("kenlm/sample-5gram.arpa.gz"), output])
        #expect(built.status == 0, "\(built.output)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == (try Data(contentsOf: URL(fileURLWithPath: fixturePath("kenlm/sample-5gram.probing.bin")))))
        // The counts of the ARPA's \data\ header; every form kenlm's build_binary wrote says the same.
        let counts = [9387, 5405, 4164, 3192, 2740]
        for (file, form) in [("sample-5gram.arpa.gz", "arpa"), ("sample-5gram.probing.bin", "probing"), ("sample-5gram.trie.bin", "trie"),
                             ("sample-5gram.array-trie.bin", "array-trie"), ("sample-5gram.quant-trie.bin", "quantized-trie"),
                             ("sample-5gram.quant-array-trie.bin", "quantized-array-trie")] {
            let info = try runBertin(["ngram", "info", fixturePath("kenlm/" + file)])
            #expect(info.status == 0, "\(info.output)")
            let object = try #require(try Self.objects(info.output).first, "\(info.output)")
            #expect(object["form"] as? String == form && object["order"] as? Int == 5 && object["counts"] as? [Int] == counts, "\(file): \(object)")
        }
        let missing = try runBertin(["ngram", "info", output + ".missing"])
        #expect(missing.status != 0 && missing.output.contains(output + ".missing"), "\(missing.output)")
    }

    /// encode gives tokenizers' ids (with and without <s> </s>); decode gives its text back.
    @Test func tokenizerEncodeAndDecodeAsTokenizers() throws {
        struct Case: Decodable { let text: String; let ids: [Int]; let ids_without_special: [Int]; let decoded: String }
        struct Cases: Decodable { let cases: [Case] }
        let cases = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: URL(fileURLWithPath: fixturePath("tokenizer-encodings.json")))).cases
        let tokenizer = fixturePath("tokenizer")
        let input = try Self.jsonLines(cases.map(\.text), "texts.json")
        for (flag, expected) in [([String](), cases.map(\.ids)), (["--no-special-tokens"], cases.map(\.ids_without_special))] {
            let encoded = try runBertin(["tokenizer", "encode", "--tokenizer", tokenizer, input] + flag)
            #expect(encoded.status == 0, "\(encoded.output)")
            let ids = try Self.objects(encoded.output).map { $0["ids"] as! [Int] }
            #expect(ids.count == expected.count)
            for (index, (ours, theirs)) in zip(ids, expected).enumerated() { #expect(ours == theirs, "\(flag) case \(index) \(cases[index].text.debugDescription)") }
        }
        let idsFile = try temporaryFolder().appendingPathComponent("ids.json").path
        try cases.map { "{\"ids\": \($0.ids)}" }.joined(separator: "\n").appending("\n").write(toFile: idsFile, atomically: true, encoding: .utf8)
        let decoded = try runBertin(["tokenizer", "decode", "--tokenizer", tokenizer, idsFile])
        #expect(decoded.status == 0, "\(decoded.output)")
        let texts = try Self.objects(decoded.output).map { $0["text"] as! String }
        #expect(texts.count == cases.count)
        for (index, (ours, theirs)) in zip(texts, cases.map(\.decoded)).enumerated() { #expect(ours == theirs, "case \(index): \(ours.debugDescription) vs \(theirs.debugDescription)") }
    }

    /// --estimate-boundaries N takes the quartiles of the first N documents' kenlm perplexities;
    /// --keep-fraction F solves the factor so that the expected kept share of them is F.
    @Test(arguments: [false, true])
    func sampleEstimatesBoundariesAndSolvesTheFactor(ccnet: Bool) throws {
        let fixture = NGramModelTests.fixture
        let perplexities = ccnet ? fixture.normalized_documents.map { Foundation.pow(10, -$0.log_score / Double($0.words)) } : fixture.documents.map(\.perplexity)
        let texts = ccnet ? fixture.normalized_documents.map(\.text) : fixture.documents.map(\.text)
        let input = try Self.jsonLines(texts, "documents.json")
        let output = try temporaryFolder().appendingPathComponent("sampled")
        let outcome = try runBertin(["sample", "--model", Self.arpa, "--output", output.path, "--estimate-boundaries", String(texts.count),
                                     "--keep-fraction", "0.5", "--progress-seconds", "0", input] + (ccnet ? ["--ccnet-normalize"] : []))
        #expect(outcome.status == 0, "\(outcome.output)")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent("manifest.json"))) as! [String: Any]
        // numpy's quantile (linear interpolation) of kenlm's perplexities.
        let sorted = perplexities.sorted()
        let quartiles = [0.25, 0.5, 0.75].map { q -> Double in
            let position = q * Double(sorted.count - 1), low = Int(position)
            return sorted[low] + (sorted[min(low + 1, sorted.count - 1)] - sorted[low]) * (position - Double(low))
        }
        let boundaries = manifest["boundaries"] as! [Double]
        #expect(boundaries.count == 3)
        for (ours, expected) in zip(boundaries, quartiles) { #expect(abs(ours - expected) <= 1e-9 * expected, "boundaries \(boundaries) vs \(quartiles)") }
        #expect(manifest["ccnet_normalize"] as? Bool == ccnet)
        // BERTIN's gaussian keep probability f·exp(−((p − b1)/b1)² / 4.5), capped at 1: f is solved
        // so that its mean over the estimation documents is the fraction asked for.
        let factor = manifest["factor"] as! Double
        let mean = perplexities.map { p in min(1, factor * exp(-pow((p - boundaries[1]) / boundaries[1], 2) / 4.5)) }.reduce(0, +) / Double(perplexities.count)
        #expect(abs(mean - 0.5) < 1e-6, "factor \(factor) keeps \(mean) in expectation")
        #expect(manifest["seen"] as? Int == texts.count)
    }
}
