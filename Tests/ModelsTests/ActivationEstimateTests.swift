import Kernels
import Models
import Tensor
import Testing
import Objectives

/// The families' activation formulas (`bertin plan`) against the tape's measured peak.
@Suite(.serialized) struct ActivationEstimateTests {
    /// Peak live tensor-buffer bytes of one training step (this thread's tensors only).
    func measured(_ model: any LanguageModel, rows: Int, length: Int, recompute: Bool, masked: Bool) throws -> Int {
        let store = try model.makeParameterStore()
        try model.initialize(store, seed: 7)
        let vocabulary = model.vocabularySize
        let ids = (0..<rows).map { r in (0..<length).map { Int32(3 + (r * 31 + $0 * 17) % (vocabulary - 3)) } }
        // About 15% of the positions labelled for the masked LM, as BERTIN's collator masks.
        let labels = ids.map { row in row.enumerated().map { masked && ($0.offset * 20) % 133 >= 20 ? Int32(-100) : $0.element } }
        let batch = try TokenBatch(inputIDs: ids, labels: labels)
        return try TensorBufferCache.shared.measuringPeak {
            try store.valueWithGradient(recompute: recompute) { p in
                try ObjectiveRegistry.scoring(model).loss(p, batch: batch, mode: .training(dropoutKey: RandomKey(seed: 1, step: 1, device: 0))).loss
            }
        }.peakBytes
    }

    func expectClose(_ label: String, estimate: Int, measured: Int) {
        let ratio = Double(estimate) / Double(measured)
        print("\(label): estimate \(estimate >> 10) KiB, measured \(measured >> 10) KiB (\(String(format: "%.3f", ratio)))")
        #expect(abs(ratio - 1) < 0.10, "\(label)")
    }

    @Test func gptjEstimateMatchesTheTape() throws {
        for (rows, length, width, heads) in [(2, 384, 256, 4), (1, 256, 384, 6)] {
            let model = try GPTJForCausalLM(config: GPTJConfig(vocabularySize: 3000, positionCount: 512, hiddenSize: width, layerCount: 3, headCount: heads, rotaryDimension: 8))
            let estimate = model.activationEstimate(batch: rows, sequenceLength: length)
            expectClose("GPT-J \(rows)×\(length) C\(width), recording", estimate: 4 * estimate.recordedFloats,
                        measured: try measured(model, rows: rows, length: length, recompute: false, masked: false))
            expectClose("GPT-J \(rows)×\(length) C\(width), recomputing", estimate: 4 * estimate.recomputedFloats,
                        measured: try measured(model, rows: rows, length: length, recompute: true, masked: false))
        }
    }

    @Test func robertaEstimateMatchesTheTape() throws {
        for (rows, length, width, heads) in [(2, 384, 256, 4), (3, 256, 384, 6)] {
            let model = try RobertaForMaskedLM(config: RobertaConfig(vocabularySize: 3000, hiddenSize: width, layerCount: 3, headCount: heads,
                                                                     intermediateSize: 4 * width, maxPositionEmbeddings: 520))
            let estimate = model.activationEstimate(batch: rows, sequenceLength: length)
            expectClose("RoBERTa \(rows)×\(length) C\(width), recording", estimate: 4 * estimate.recordedFloats,
                        measured: try measured(model, rows: rows, length: length, recompute: false, masked: true))
            expectClose("RoBERTa \(rows)×\(length) C\(width), recomputing", estimate: 4 * estimate.recomputedFloats,
                        measured: try measured(model, rows: rows, length: length, recompute: true, masked: true))
        }
    }

    /// ZeRO-3 gathers a block's parameters at a time: the families' count is the layout's.
    @Test func blockParametersAreTheLayouts() throws {
        let gptj = try GPTJForCausalLM(config: GPTJConfig(vocabularySize: 300, positionCount: 64, hiddenSize: 32, layerCount: 2, headCount: 4, rotaryDimension: 4))
        let inBlock0 = gptj.layout.filter { $0.name.hasPrefix("transformer.h.0.") }.reduce(0) { $0 + $1.shape.reduce(1, *) }
        #expect(gptj.activationEstimate(batch: 1, sequenceLength: 8).blockParameters == inBlock0)
        let roberta = try RobertaForMaskedLM(config: RobertaConfig(vocabularySize: 300, hiddenSize: 32, layerCount: 2, headCount: 4, intermediateSize: 48, maxPositionEmbeddings: 40))
        let inLayer0 = roberta.layout.filter { $0.name.hasPrefix("roberta.encoder.layer.0.") }.reduce(0) { $0 + $1.shape.reduce(1, *) }
        #expect(roberta.activationEstimate(batch: 1, sequenceLength: 8).blockParameters == inLayer0)
    }
}
