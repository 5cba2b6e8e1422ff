import Kernels
import Models
import Tensor
import Testing
import TestSupport
import Objectives

/// Per-block activation recomputation: the same loss and gradients bit for bit as recording every
/// activation, with dropout on, and a lower peak of live activation memory.
@Suite(.serialized) struct RecomputationTests {
    /// Loss, gradient bits and peak live bytes of one training forward/backward (three runs: the
    /// same bits each time).
    func step(_ model: any LanguageModel, _ batch: TokenBatch, recompute: Bool) throws -> (Float, [UInt32], Int) {
        let runs = try (0..<3).map { _ in try once(model, batch, recompute: recompute) }
        #expect(Set(runs.map(\.1)).count == 1)
        return (runs[0].0, runs[0].1, runs.map(\.2).min()!)
    }

    func once(_ model: any LanguageModel, _ batch: TokenBatch, recompute: Bool) throws -> (Float, [UInt32], Int) {
        let store = try model.makeParameterStore()
        try model.initialize(store, seed: 7)
        let key = RandomKey(seed: 11, step: 3, device: 1)
        var readyCount = 0
        let (loss, peak) = try TensorBufferCache.shared.measuringPeak {
            try store.valueWithGradient(gradientReady: { _ in readyCount += 1 }, recompute: recompute) { p in
                try ObjectiveRegistry.scoring(model).loss(p, batch: batch, mode: .training(dropoutKey: key)).loss
            }
        }
        #expect(readyCount == store.entries.count, "every parameter's gradient is reported complete once")
        return (loss, store.gradients.map(\.bitPattern), peak)
    }

    func batch(rows: Int, length: Int, vocabulary: Int, masked: Bool) throws -> TokenBatch {
        let ids = (0..<rows).map { r in (0..<length).map { Int32(3 + (r * 31 + $0 * 17) % (vocabulary - 3)) } }
        let labels = ids.map { row in row.enumerated().map { masked && $0.offset % 5 != 0 ? Int32(-100) : $0.element } }
        return try TokenBatch(inputIDs: ids, labels: labels)
    }

    @Test func gptjRecomputationIsBitwiseAndSmaller() throws {
        let model = try GPTJForCausalLM(config: GPTJConfig(vocabularySize: 256, positionCount: 256, hiddenSize: 64, layerCount: 4, headCount: 4, rotaryDimension: 8))
        let input = try batch(rows: 2, length: 256, vocabulary: 256, masked: false)
        let (loss, gradients, peak) = try step(model, input, recompute: false)
        let (loss2, gradients2, peak2) = try step(model, input, recompute: true)
        print("GPT-J, 4 blocks, 2 × 256 tokens: peak live activations \(peak >> 10) KiB recording everything, \(peak2 >> 10) KiB recomputing")
        #expect(loss.bitPattern == loss2.bitPattern)
        #expect(differingElements(gradients, gradients2) == 0)
        #expect(Double(peak2) < 0.6 * Double(peak), "\(peak2) vs \(peak)")
    }

    @Test func robertaRecomputationWithDropoutIsBitwise() throws {
        let model = try RobertaForMaskedLM(config: RobertaConfig(vocabularySize: 300, hiddenSize: 64, layerCount: 3, headCount: 4, intermediateSize: 128, maxPositionEmbeddings: 140))
        let input = try batch(rows: 3, length: 128, vocabulary: 300, masked: true)
        let (loss, gradients, peak) = try step(model, input, recompute: false)
        let (loss2, gradients2, peak2) = try step(model, input, recompute: true)
        print("RoBERTa, 3 blocks, 3 × 128 tokens: peak live activations \(peak >> 10) KiB recording everything, \(peak2 >> 10) KiB recomputing")
        #expect(loss.bitPattern == loss2.bitPattern)
        #expect(differingElements(gradients, gradients2) == 0)
        #expect(peak2 < peak)
    }
}
