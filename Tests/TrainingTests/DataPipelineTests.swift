import Corpus
import CorpusIO
import Foundation
import Kernels
import Models
import Objectives
import Testing
import Tokenization
import Training

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let trainShards = ["c4-es.tfrecord-00000-of-00002.json.gz", "c4-es.tfrecord-00001-of-00002.json.gz"]
    .map { root.appendingPathComponent("Recipes/sample-corpus/\($0)").path }
private let tokenizer = try! BPETokenizer(directory: root.appendingPathComponent("Tests/CorpusTests/Fixtures/tokenizer").path)

private func prepare(length: Int, evalFraction: Double, buffer: Int, seed: UInt64 = 2021) throws -> String {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("bertin-rows-\(UUID().uuidString)").path
    var preparation = RowPreparation(tokenizer: tokenizer, sequenceLength: length)
    preparation.evalFraction = evalFraction
    preparation.shuffleBuffer = buffer
    preparation.seed = seed
    preparation.rowsPerShard = 1000
    _ = try preparation.run(files: trainShards, outputDirectory: output)
    return output
}

@Suite struct DataPipelineTests {
    @Test func rowsAreTheConcatenatedDocumentsCutExactly() throws {
        // A one-document buffer keeps the order, so the rows can be rebuilt from the documents:
        // each input file's documents are concatenated and cut on their own (its tail row dropped).
        let folder = try prepare(length: 128, evalFraction: 0, buffer: 1)
        let rows = try TokenRows(directory: folder, split: "train")
        var expected: [Int32] = []
        for file in trainShards {
            var stream: [Int32] = []
            try CorpusReader(files: [file]).forEachDocument { stream += tokenizer.encode($0.text) }
            expected += stream[..<(stream.count / 128 * 128)]
        }
        #expect(rows.count == expected.count / 128)
        let shards = rows.index.splits["train"]!.shards
        #expect(rows.index.dtype == "uint16" && shards.allSatisfy { $0.rows <= 1000 } && shards.count >= (rows.count + 999) / 1000)
        #expect(shards.first?.file == "train-00000-0000.u16" && shards.last!.file.hasPrefix("train-00001-"), "shards in input order: \(shards.map(\.file))")
        let rebuilt = (0..<rows.count).flatMap { rows.row($0) }
        #expect(rebuilt == expected, "rows cross document boundaries, no padding")
        #expect(rows.row(0).first == tokenizer.beginID)
    }

    @Test func shuffleAndHoldOutAreSeeded() throws {
        let a = try prepare(length: 512, evalFraction: 0.1, buffer: 50)
        let b = try prepare(length: 512, evalFraction: 0.1, buffer: 50)
        let c = try prepare(length: 512, evalFraction: 0.1, buffer: 50, seed: 7)
        func all(_ folder: String, _ split: String) throws -> [[Int32]] {
            let rows = try TokenRows(directory: folder, split: split)
            return (0..<rows.count).map { rows.row($0) }
        }
        #expect(try all(a, "train") == (try all(b, "train")))
        #expect(try all(a, "train") != (try all(c, "train")))
        let index = try TokenRows(directory: a, split: "eval").index
        let (eval, train) = (index.splits["eval"]!, index.splits["train"]!)
        #expect(eval.documents + train.documents == 360)
        #expect(eval.documents > 15 && eval.documents < 60, "about 10% held out: \(eval.documents)")
        #expect(throws: CorpusError.self) { _ = try prepare(length: 1, evalFraction: 0, buffer: 1) }
    }

    @Test func heldOutShardFormsTheEvalSplit() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("bertin-rows-\(UUID().uuidString)").path
        let validation = root.appendingPathComponent("Recipes/sample-corpus/c4-es-validation.tfrecord-00000-of-00001.json.gz").path
        let index = try #require(try RowPreparation(tokenizer: tokenizer, sequenceLength: 512).run(files: trainShards, evalFiles: [validation], outputDirectory: output).index)
        #expect(index.splits["eval"]!.documents == 39 && index.splits["train"]!.documents == 360)
        #expect(throws: CorpusError.self) { _ = try RowPreparation(tokenizer: tokenizer, sequenceLength: 512).run(files: trainShards, outputDirectory: output) }
    }

    @Test func loaderSlicesDevicesVisitsEveryRowAndResumes() throws {
        let rows = try TokenRows(directory: try prepare(length: 128, evalFraction: 0, buffer: 10), split: "train")
        #expect(throws: CorpusError.self) { _ = try BatchLoader(rows: rows, globalBatchSize: 12, devices: 8, seed: 1) }
        let loader = try BatchLoader(rows: rows, globalBatchSize: 16, devices: 8, seed: 1)
        var seen: [[Int32]] = []
        for _ in 0..<loader.batchesPerEpoch {
            let batch = loader.next()
            #expect(batch.count == 8 && batch.allSatisfy { $0.count == 2 })
            seen += batch.flatMap { $0 }
        }
        // The corpus repeats boilerplate, so rows can be equal: compare multisets, not sets.
        var available: [[Int32]: Int] = [:]
        for index in 0..<rows.count { available[rows.row(index), default: 0] += 1 }
        var used: [[Int32]: Int] = [:]
        for row in seen { used[row, default: 0] += 1 }
        #expect(used.allSatisfy { available[$0.key, default: 0] >= $0.value }, "no row served twice in an epoch")
        #expect(seen.count == loader.batchesPerEpoch * 16 && loader.batchesPerEpoch == rows.count / 16)
        _ = loader.next()  // into epoch 1
        let saved = loader.position
        let expected = (0..<3).map { _ in loader.next() }
        let resumed = try BatchLoader(rows: rows, globalBatchSize: 16, devices: 8, seed: 1)
        try resumed.restore(saved)
        #expect((0..<3).map { _ in resumed.next() } == expected)
        #expect(saved == ["epoch": 1, "batch": 1])
    }

    @Test func collatorMasksLikeTransformers() throws {
        let rows = try TokenRows(directory: try prepare(length: 128, evalFraction: 0, buffer: 10), split: "train")
        let collator = try #require(MaskedLMCollator(index: rows.index, seed: 3))
        let input = (0..<200).map { rows.row($0) }
        let batch = try collator.batch(rows: input, step: 5, device: 2)
        var (eligible, chosen, masked, kept) = (0, 0, 0, 0)
        for (index, original) in input.joined().enumerated() {
            let (id, label) = (batch.inputIDs.indices[index], batch.labels.indices[index])
            if collator.specialIDs.contains(original) {
                #expect(label == ignoredLabel && id == original, "special tokens are never chosen")
                continue
            }
            eligible += 1
            if label == ignoredLabel { #expect(id == original); continue }
            #expect(label == original)
            chosen += 1
            if id == collator.maskID { masked += 1 } else if id == original { kept += 1 }
        }
        let rate = Double(chosen) / Double(eligible)
        print("collator: \(chosen)/\(eligible) chosen (\(rate)), \(masked) masked, \(kept) kept")
        #expect(abs(rate - 0.15) < 0.01)
        #expect(abs(Double(masked) / Double(chosen) - 0.8) < 0.03)
        #expect(abs(Double(kept) / Double(chosen) - 0.1) < 0.025)  // includes random draws equal to the original (1 in 8000)
        #expect(try collator.batch(rows: input, step: 5, device: 2) == batch)
        #expect(try collator.batch(rows: input, step: 5, device: 3) != batch)
        #expect(batch.attentionMask.indices.allSatisfy { $0 == 1 })
    }
}
