import Corpus
import CorpusIO
import Foundation
import NGram
import Testing
import TestSupport

@Suite struct SamplingTests {
    let b = PerplexitySampler.bertinBoundaries

    @Test func keepProbabilitiesAreBertins() throws {
        let gaussian = try PerplexitySampler(method: .gaussian)
        #expect(gaussian.keepProbability(perplexity: b[1]) == 0.78)
        // 0.78 · exp(−(1/4.5) · ((2·b1 − b1)/b1)²) = 0.78 · exp(−2/9)
        #expect(abs(gaussian.keepProbability(perplexity: 2 * b[1]) - 0.78 * exp(-2.0 / 9.0)) < 1e-15)
        let stepwise = try PerplexitySampler(method: .stepwise)
        #expect(stepwise.keepProbability(perplexity: 1000) == 1.5e5 / b[0])
        #expect(stepwise.keepProbability(perplexity: b[0]) == 1.5e5 / b[0])
        #expect(stepwise.keepProbability(perplexity: 600_000) == 1.5e5 / (b[1] - b[0]))
        #expect(stepwise.keepProbability(perplexity: b[1]) == 1.5e5 / (b[2] - b[1]), "b1 itself belongs to (b1, b2)")
        #expect(stepwise.keepProbability(perplexity: b[2]) == 1.5e5 / (10 * b[2]))
        let random = try PerplexitySampler(method: .random)
        #expect(random.keeps(perplexity: 1, uniform: 0.5) && !random.keeps(perplexity: 1, uniform: 0.5000001))
        #expect(!gaussian.keeps(perplexity: b[1], uniform: 0.78) && gaussian.keeps(perplexity: b[1], uniform: 0.7799))
        #expect(throws: CorpusError.self) { _ = try PerplexitySampler(method: .gaussian, boundaries: [3, 2, 1]) }
    }

    @Test func quartilesInterpolateLikeNumpy() throws {
        // numpy.percentile([1, 2, 4, 8, 16], [25, 50, 75]) = [2, 4, 8]; of [1, 2, 3, 10] = [1.75, 2.5, 4.75]
        #expect(try quartileBoundaries(of: [16, 1, 8, 2, 4]) == [2, 4, 8])
        #expect(try quartileBoundaries(of: [10, 1, 3, 2]) == [1.75, 2.5, 4.75])
    }

    @Test func samplingIsDeterministicAndKeepsLinesVerbatim() throws {
        let model = try NGramModel(arpaPath: sampleCorpus.appendingPathComponent("sample-3gram.arpa.gz").path)
        let sampler = try PerplexitySampler(method: .gaussian, boundaries: [3, 16, 100])
        func sample(batchSize: Int, seed: UInt64) throws -> (SamplingReport, [String]) {
            let folder = try temporaryFolder()
            var run = SamplingRun(model: model, sampler: sampler, seed: seed)
            run.batchSize = batchSize
            let report = try #require(try run.run(files: sampleTrainShards, outputDirectory: folder.path))
            let shards = ["mc4-es-train-all-gaussian-shard-0000-of-0002.json.gz", "mc4-es-train-all-gaussian-shard-0001-of-0002.json.gz"]
            var kept: [String] = []
            try CorpusReader(files: shards.map { folder.appendingPathComponent($0).path })
                .forEachDocument { kept.append(String(decoding: $0.json, as: UTF8.self)) }
            return (report, kept)
        }
        let (report, kept) = try sample(batchSize: 1024, seed: 7)
        let (_, again) = try sample(batchSize: 5, seed: 7)
        let (_, otherSeed) = try sample(batchSize: 1024, seed: 8)
        #expect(kept == again, "batching (and so threading) does not change the decisions")
        #expect(kept != otherSeed)
        #expect(report.seen == 360 && report.kept == kept.count)
        var original = Set<String>()
        try CorpusReader(files: sampleTrainShards).forEachDocument { original.insert(String(decoding: $0.json, as: UTF8.self)) }
        #expect(kept.allSatisfy { original.contains($0) }, "kept documents are written byte for byte")
        // The kept count agrees with the sum of keep probabilities (binomial sd ≈ 9 here).
        var expected = 0.0
        try CorpusReader(files: sampleTrainShards).forEachDocument {
            expected += sampler.keepProbability(perplexity: DocumentPerplexity(text: $0.text, model: model).perplexity)
        }
        #expect(abs(Double(kept.count) - expected) < 40, "kept \(kept.count), expected about \(expected)")
    }

    /// Perplexities of another model (quartiles around 10–100, not CCNet's 5e5–9e5): log-uniform over 2…400.
    static let otherModel: [Double] = (0..<4000).map { 2 * pow(200, Double(($0 * 7919) % 4000) / 4000) }

    @Test func bertinFactorsSaturateAnotherModelsQuartiles() throws {
        let boundaries = try quartileBoundaries(of: Self.otherModel)
        #expect(try PerplexitySampler(method: .stepwise, boundaries: boundaries).saturatedQuartiles == [0, 1, 2, 3])
        // BERTIN's own stepwise setting keeps all of quartile 1 by design (1.5e5 / (b1 − b0) = 1.19).
        #expect(try PerplexitySampler(method: .stepwise).saturatedQuartiles == [1])
        #expect(try PerplexitySampler(method: .gaussian).saturatedQuartiles.isEmpty)
        #expect(try PerplexitySampler(method: .gaussian, factor: 3).saturatedQuartiles == [0, 1, 2])
    }

    @Test(arguments: SamplingMethod.allCases)
    func keepFractionSolvesTheFactor(method: SamplingMethod) throws {
        let boundaries = try quartileBoundaries(of: Self.otherModel)
        for fraction in [0.05, 0.25, 0.5, 0.9] {
            let sampler = try PerplexitySampler(method: method, boundaries: boundaries).solvingFactor(keepFraction: fraction, over: Self.otherModel)
            let expected = sampler.expectedKeepFraction(of: Self.otherModel)
            #expect(abs(expected - fraction) < 1e-9, "\(method) \(fraction): expected kept fraction \(expected) with factor \(sampler.factor)")
            #expect(sampler.saturatedQuartiles.count < 4)
            // Drawn as the sampling run draws (uniforms per document): about that fraction is kept.
            var generator = SeededGenerator(seed: UInt64(fraction * 1000))
            let kept = Self.otherModel.filter { sampler.keeps(perplexity: $0, uniform: Double.random(in: 0..<1, using: &generator)) }.count
            #expect(abs(Double(kept) / Double(Self.otherModel.count) - fraction) < 0.03, "\(method) \(fraction): kept \(kept)")
        }
        #expect(throws: CorpusError.self) { try PerplexitySampler(method: method).solvingFactor(keepFraction: 1.5, over: Self.otherModel) }
    }
}
