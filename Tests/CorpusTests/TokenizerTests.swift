import Corpus
import CorpusIO
import Foundation
import Testing
import Tokenization

/// Our byte-level BPE against HuggingFace tokenizers 0.23.3 (Scripts/reference/make-tokenizer-fixture.py).
@Suite struct TokenizerTests {
    struct Case: Decodable {
        let text: String
        let ids: [Int32]
        let ids_without_special: [Int32]
        let decoded: String
    }
    struct Fixture: Decodable { let cases: [Case] }

    static let fixture = try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: URL(fileURLWithPath: fixturePath("tokenizer-encodings.json"))))

    func expectIdenticalEncodings(_ tokenizer: BPETokenizer, _ what: String) throws {
        var identical = 0
        for item in Self.fixture.cases {
            let ids = tokenizer.encode(item.text)
            let bare = tokenizer.encode(item.text, addSpecialTokens: false)
            #expect(ids == item.ids, "\(what): \(item.text.debugDescription.prefix(80))")
            #expect(bare == item.ids_without_special, "\(what) without special tokens: \(item.text.debugDescription.prefix(80))")
            #expect(try tokenizer.decode(ids) == item.decoded, "\(what) decode: \(item.text.debugDescription.prefix(80))")
            if ids == item.ids && bare == item.ids_without_special { identical += 1 }
        }
        print("tokenizer (\(what)): \(identical) of \(Self.fixture.cases.count) cases identical")
    }

    @Test func vocabAndMergesFilesEncodeLikeTokenizers() throws {
        let folder = try temporaryFolder()
        for name in ["vocab.json", "merges.txt"] {
            try FileManager.default.copyItem(atPath: fixturePath("tokenizer/\(name)"), toPath: folder.appendingPathComponent(name).path)
        }
        try expectIdenticalEncodings(try BPETokenizer(directory: folder.path), "vocab.json + merges.txt")
    }

    @Test func tokenizerJSONEncodesLikeTokenizers() throws {
        let tokenizer = try BPETokenizer(directory: fixturePath("tokenizer"))
        #expect(tokenizer.vocabularySize == 8000)
        #expect(tokenizer.maskID == 4 && tokenizer.beginID == 0 && tokenizer.endID == 2 && tokenizer.paddingID == 1)
        try expectIdenticalEncodings(tokenizer, "tokenizer.json")
    }

    @Test func savedFilesLoadBackTheSame() throws {
        let tokenizer = try BPETokenizer(directory: fixturePath("tokenizer"))
        let folder = try temporaryFolder()
        try tokenizer.save(to: folder.path)
        let again = try BPETokenizer(directory: folder.path)
        #expect(again.tokens == tokenizer.tokens)
        #expect(again.mergeList.map { [$0.0, $0.1] } == tokenizer.mergeList.map { [$0.0, $0.1] })
        let original = try String(contentsOfFile: fixturePath("tokenizer/merges.txt"), encoding: .utf8)
        #expect(try String(contentsOfFile: folder.appendingPathComponent("merges.txt").path, encoding: .utf8) == original)
    }
}

@Suite struct TokenizerTrainingTests {
    /// Trained on the sample corpus's train shards (each document one sequence) with the fixture's
    /// settings, the vocabulary and the merges equal tokenizers' trainer's, in order.
    @Test func trainingReproducesTokenizersMerges() throws {
        var texts: [String] = []
        try CorpusReader(files: sampleTrainShards).forEachDocument { texts.append($0.text) }
        let trained = try BPETrainer(vocabularySize: 8000, minimumFrequency: 2).train(wordCounts: BPETrainer.countWords(in: texts))
        let reference = try BPETokenizer(directory: fixturePath("tokenizer"))
        #expect(trained.vocabularySize == reference.vocabularySize)
        let sameTokens = zip(trained.tokens, reference.tokens).filter { $0.0 == $0.1 }.count
        let sameMerges = zip(trained.mergeList, reference.mergeList).filter { $0.0 == $1.0 && $0.1 == $1.1 }.count
        print("tokenizer training: \(sameTokens)/\(reference.vocabularySize) tokens and \(sameMerges)/\(reference.mergeList.count) merges identical")
        #expect(sameTokens == reference.vocabularySize)
        #expect(trained.mergeList.count == reference.mergeList.count && sameMerges == reference.mergeList.count)
    }

    /// `bertin tokenizer train` streams the documents through a `WordCounter` in batches: the same
    /// tokenizer as tokenizers' trainer, and a cap that is named when it drops words.
    @Test func streamingCommandReproducesTokenizers() throws {
        let folder = try temporaryFolder()
        let run = try runBertin(["tokenizer", "train", "--vocab-size", "8000", "--output", folder.path] + sampleTrainShards)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("\"pruned_occurrences\": 0") && run.output.contains("\"peak_rss_bytes\": "), "\(run.output)")
        let trained = try BPETokenizer(directory: folder.path), reference = try BPETokenizer(directory: fixturePath("tokenizer"))
        #expect(trained.tokens == reference.tokens)
        #expect(trained.mergeList.map { [$0.0, $0.1] } == reference.mergeList.map { [$0.0, $0.1] })
        let capped = try runBertin(["tokenizer", "train", "--vocab-size", "8000", "--max-words", "2000", "--output", try temporaryFolder().path] + sampleTrainShards)
        #expect(capped.status == 0 && capped.output.contains("warning: more than 2000 distinct words"), "\(capped.output)")
    }

    /// Counting in batches on any number of workers gives the counts of one pass; over the cap,
    /// exactly the reported occurrences are missing and the table stays under the cap.
    @Test func wordCounterStreamsAndCaps() throws {
        var texts: [String] = []
        try CorpusReader(files: sampleTrainShards).forEachDocument { texts.append($0.text) }
        var exact: [[UInt8]: Int] = [:]
        for text in texts { for word in gpt2PreTokenize(Substring(text)) { exact[word, default: 0] += 1 } }
        func counted(cap: Int, workers: Int, batch: Int) -> WordCounter {
            let counter = WordCounter(maximumWords: cap, workers: workers)
            for start in stride(from: 0, to: texts.count, by: batch) { counter.add(Array(texts[start..<min(start + batch, texts.count)])) }
            return counter
        }
        func table(_ counter: WordCounter) -> [[UInt8]: Int] { Dictionary(uniqueKeysWithValues: counter.counts.map { ($0.key, $0.value) }) }
        let streamed = counted(cap: .max, workers: 3, batch: 7)
        #expect(table(streamed) == exact && streamed.prunedOccurrences == 0)
        #expect(streamed.bytes == texts.reduce(0) { $0 + $1.utf8.count })
        let capped = counted(cap: 3000, workers: 3, batch: 40)
        #expect(capped.count <= 3000 && capped.pruneThreshold >= 1 && capped.prunedOccurrences > 0)
        let kept = table(capped)
        #expect(exact.values.reduce(0, +) - kept.values.reduce(0, +) == capped.prunedOccurrences)
        #expect(kept.allSatisfy { exact[$0.key]! >= $0.value })
        #expect(table(counted(cap: 3000, workers: 1, batch: 40)) == kept, "the cap depends on the batches, not the threads")
        // The most frequent words survive with their exact counts.
        let top = exact.sorted { $0.value > $1.value }.prefix(100)
        #expect(top.allSatisfy { kept[$0.key] == $0.value })
    }
}

/// A GPT-2-style tokenizer (GPT-J's family): `<|endoftext|>` its only special token, no
/// post-processor. Against tokenizers 0.23.3 (Scripts/reference/make-gpt2-tokenizer-fixture.py).
@Suite struct GPT2StyleTokenizerTests {
    static let fixture = try! JSONDecoder().decode(TokenizerTests.Fixture.self,
                                                   from: Data(contentsOf: URL(fileURLWithPath: fixturePath("tokenizer-gpt2-encodings.json"))))

    func expectIdenticalEncodings(_ tokenizer: BPETokenizer, _ what: String) throws {
        for item in Self.fixture.cases {
            #expect(tokenizer.encode(item.text) == item.ids, "\(what): \(item.text.debugDescription.prefix(80))")
            #expect(tokenizer.encode(item.text, addSpecialTokens: false) == item.ids_without_special, "\(what) bare: \(item.text.debugDescription.prefix(80))")
            #expect(try tokenizer.decode(item.ids) == item.decoded, "\(what) decode")
        }
    }

    @Test func filesEncodeLikeTokenizers() throws {
        let tokenizer = try BPETokenizer(directory: fixturePath("tokenizer-gpt2"))
        #expect(tokenizer.postProcessor == .none && tokenizer.maskID == nil && tokenizer.beginID == nil)
        #expect(tokenizer.documentEndID == 0 && tokenizer.specialTokens == ["<|endoftext|>": 0])
        try expectIdenticalEncodings(tokenizer, "tokenizer.json")
        // vocab.json + merges.txt alone: <|endoftext|> is found in the vocabulary, nothing is added.
        let folder = try temporaryFolder()
        for name in ["vocab.json", "merges.txt"] {
            try FileManager.default.copyItem(atPath: fixturePath("tokenizer-gpt2/\(name)"), toPath: folder.appendingPathComponent(name).path)
        }
        try expectIdenticalEncodings(try BPETokenizer(directory: folder.path), "vocab.json + merges.txt")
    }

    /// `bertin tokenizer train --special-tokens "<|endoftext|>"` reproduces tokenizers' vocabulary
    /// and merges, and its saved folder loads back as a GPT-2-style tokenizer.
    @Test func trainingReproducesTokenizers() throws {
        var texts: [String] = []
        try CorpusReader(files: sampleTrainShards).forEachDocument { texts.append($0.text) }
        let trained = try BPETrainer(vocabularySize: 2000, minimumFrequency: 2, specialTokens: [BPETokenizer.endOfTextToken])
            .train(wordCounts: BPETrainer.countWords(in: texts))
        let reference = try BPETokenizer(directory: fixturePath("tokenizer-gpt2"))
        #expect(trained.tokens == reference.tokens)
        #expect(trained.mergeList.map { [$0.0, $0.1] } == reference.mergeList.map { [$0.0, $0.1] })
        #expect(trained.postProcessor == .none)
        let folder = try temporaryFolder()
        try trained.save(to: folder.path)
        let config = try String(contentsOfFile: folder.appendingPathComponent("tokenizer_config.json").path, encoding: .utf8)
        #expect(config.contains("\"GPT2Tokenizer\""))
        try expectIdenticalEncodings(try BPETokenizer(directory: folder.path), "trained and saved")
    }

    @Test func maskedRowsNeedARobertaTokenizer() throws {
        let tokenizer = try BPETokenizer(directory: fixturePath("tokenizer-gpt2"))
        let output = try temporaryFolder().appendingPathComponent("rows").path
        #expect(throws: CorpusError.self) { _ = try RowPreparation(tokenizer: tokenizer, sequenceLength: 16).run(files: sampleTrainShards, outputDirectory: output) }
        var causal = RowPreparation(tokenizer: tokenizer, sequenceLength: 64)
        causal.framing = .causalLM
        let index = try #require(try causal.run(files: sampleTrainShards, outputDirectory: output).index)
        #expect(index.maskTokenID == nil && index.sequenceLength == 64)
        // Documents are joined by <|endoftext|>: as many as there are documents (the tail rows dropped may hold a few).
        let rows = try TokenRows(directory: output, split: "train")
        let ends = (0..<rows.count).reduce(0) { $0 + rows.row($1).filter { $0 == 0 }.count }
        #expect(ends > 0 && ends <= index.splits["train"]!.documents)
    }
}
