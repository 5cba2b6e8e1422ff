import Foundation
import NGram
import Testing

/// Our ARPA scoring against kenlm 0.3.0 on the same 3-gram file (Scripts/reference/make-ngram-fixture.py).
@Suite struct NGramModelTests {
    struct Line: Decodable {
        let line: String
        let score: Double
        let full_scores: [[Double]]
    }
    struct DocumentCase: Decodable {
        let text: String
        let lines: [Line]
        let log_score: Double
        let words: Int
        let perplexity: Double
    }
    struct Normalized: Decodable {
        let text: String
        let normalized: String
    }
    struct NormalizedDocument: Decodable {
        let text: String
        let log_score: Double
        let words: Int
    }
    struct Fixture: Decodable {
        let order: Int
        let documents: [DocumentCase]
        let normalization: [Normalized]
        let normalized_documents: [NormalizedDocument]
    }

    static let model = try! NGramModel(arpaPath: sampleCorpus.appendingPathComponent("sample-3gram.arpa.gz").path)
    static let fixture = try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: URL(fileURLWithPath: fixturePath("ngram-scores.json"))))

    /// kenlm computes in float32 and the fixture keeps its floats exactly (widened to Double by
    /// JSON): every word and line score must be the same float, not merely close.
    @Test func wordAndLineScoresMatchKenlm() {
        #expect(Self.model.order == Self.fixture.order)
        var words = 0, differing = 0, mismatchedLengths = 0
        for document in Self.fixture.documents {
            for line in document.lines {
                let ours = Self.model.fullScores(line.line)
                #expect(ours.count == line.full_scores.count, "\(line.line)")
                for (index, (score, expected)) in zip(ours, line.full_scores).enumerated() {
                    words += 1
                    if score.probability != Float(expected[0]) { differing += 1 }
                    #expect(score.probability == Float(expected[0]), "word \(index) of \"\(line.line.prefix(80))\": \(score) vs kenlm \(expected)")
                    if score.ngramLength != Int(expected[1]) || score.isUnknown != (expected[2] != 0) { mismatchedLengths += 1 }
                }
                #expect(Self.model.score(line.line) == line.score, "line score vs kenlm \(line.score): \(line.line.prefix(60))")
            }
        }
        print("n-gram: \(words) word scores, \(differing) differ from kenlm's")
        #expect(words > 5000)
        #expect(mismatchedLengths == 0, "n-gram lengths and unknown flags as kenlm reports them")
    }

    /// The log score is a sum of exact line scores in BERTIN's order; the perplexity is one pow of it.
    @Test func documentPerplexityIsBertins() {
        for document in Self.fixture.documents {
            let ours = DocumentPerplexity(text: document.text, model: Self.model)
            #expect(ours.words == document.words, "word count of \(document.text.prefix(40))")
            #expect(ours.logScore == document.log_score, "\(document.text.prefix(40))")
            #expect(abs(ours.perplexity - document.perplexity) <= 4 * document.perplexity.ulp, "\(ours.perplexity) vs \(document.perplexity)")
        }
    }

    @Test func ccnetNormalizationMatchesItsPythonSource() {
        for item in Self.fixture.normalization {
            #expect(Array(ccnetNormalize(item.text).unicodeScalars) == Array(item.normalized.unicodeScalars), "\(item.text.debugDescription)")
        }
        for document in Self.fixture.normalized_documents {
            let ours = DocumentPerplexity(text: document.text, model: Self.model, normalize: true)
            #expect(ours.words == document.words)
            #expect(abs(ours.logScore - document.log_score) <= 1e-5 * abs(document.log_score))
        }
    }

    @Test func brokenArpaFilesAreNamed() throws {
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("bad.arpa").path
        let header = "\\data\\\nngram 1=3\nngram 2=1\n\n\\1-grams:\n-1.0\t<s>\t-0.3\n-0.5\t</s>\n"
        try (header + "-0.7\tsí\n\n\\2-grams:\n-0.2\t<s> sí\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(message { _ = try NGramModel(arpaPath: path) } == "\(path): no \\end\\ marker (truncated ARPA file?)")
        try header.write(toFile: path, atomically: true, encoding: .utf8)  // cut inside the 1-grams
        #expect(message { _ = try NGramModel(arpaPath: path) } == "\(path): no \\end\\ marker (truncated ARPA file?)")
        try (header + "minus\tsí\n\n\\2-grams:\n-0.2\t<s> sí\n\\end\\\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(message { _ = try NGramModel(arpaPath: path) } == "\(path): line 8: expected a log10 probability, 1 words and an optional backoff")
        // The tables are sized from the header: one n-gram too many is an error, not an overflow.
        try (header + "-0.7\tsí\n\n\\2-grams:\n-0.2\t<s> sí\n-0.4\tsí </s>\n\\end\\\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(message { _ = try NGramModel(arpaPath: path) } == "\(path): line 12: more 2-grams than the 1 declared")
        try (header + "-0.5\t<unk>\n-0.7\tsí\n\\end\\\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(message { _ = try NGramModel(arpaPath: path) } == "\(path): line 9: more 1-grams than the 3 declared")
        try (header + "-0.7\tsí\n\n\\2-grams:\n-0.2\t<s> no\n\\end\\\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(message { _ = try NGramModel(arpaPath: path) } == "\(path): line 11: word \"no\" has no unigram")
        try (header + "0.7\tsí\n\n\\2-grams:\n-0.2\t<s> sí\n\\end\\\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(message { _ = try NGramModel(arpaPath: path) } == "\(path): line 8: positive log10 probability 0.7 (an IRSTLM bug; kenlm refuses it too)")
        try "\\data\\\nngram 1=2\n\n\\1-grams:\n-1.0\t<s>\n-0.5\t</s>\n\\end\\\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(message { _ = try NGramModel(arpaPath: path) } == "\(path): line 4: a model of order 1; kenlm's structures need order 2 or more")
    }
}
