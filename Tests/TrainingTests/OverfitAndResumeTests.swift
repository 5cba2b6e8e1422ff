import Foundation
import Kernels
import Models
import Optimization
import Tensor
import TestSupport
import Testing
import Training
import Objectives

/// A tiny RoBERTa trained on one fixed batch with AdamW and warmup + linear decay, dropout on.
@Suite struct OverfitAndResumeTests {
    static let config = RobertaConfig(vocabularySize: 40, hiddenSize: 32, layerCount: 2, headCount: 4, intermediateSize: 64,
                                      maxPositionEmbeddings: 20)
    static let steps = 160
    static let optimizer = AdamWConfiguration(schedule: .warmupThenLinearDecay(peak: 3e-3, warmupSteps: 16, totalSteps: steps))

    /// Four rows of 16 tokens, a quarter of them labelled (the rest -100), two rows padded.
    static let batch: TokenBatch = {
        let (rows, time) = (4, 16)
        var ids: [[Int32]] = [], mask: [[Int32]] = [], labels: [[Int32]] = []
        for r in 0..<rows {
            let length = r < 2 ? time : time - 3 * r
            var row: [Int32] = [0], label: [Int32] = [-100]
            for t in 1..<time {
                let token = Int32(5 + (r * 7 + t * 11) % 35)
                if t >= length { row.append(1); label.append(-100) }
                else if (t + r) % 4 == 0 { row.append(4); label.append(token) }
                else { row.append(token); label.append(-100) }
            }
            ids.append(row); labels.append(label)
            mask.append(row.map { $0 == 1 ? 0 : 1 })
        }
        return try! TokenBatch(inputIDs: ids, attentionMask: mask, labels: labels)
    }()

    func bits(_ trainer: Trainer<MaskedLanguageModeling>) -> [UInt32] { trainer.parameters.values.map(\.bitPattern) }

    @Test func tinyModelOverfitsAndResumesBitForBit() throws {
        let model = try RobertaForMaskedLM(config: Self.config)
        let straight = try Trainer(objective: MaskedLanguageModeling(model: model), optimizer: Self.optimizer, seed: 42)
        var losses: [Float] = []
        for _ in 0..<Self.steps { losses.append(try straight.step([[Self.batch]]).loss) }
        print("overfit: loss \(losses[0]) → \(losses[Self.steps - 1])")
        #expect(losses[0] > 3, "starts near ln(40) = 3.7")
        #expect(losses.suffix(5).allSatisfy { $0 < 0.1 }, "the last losses: \(losses.suffix(5))")

        // Stop after k steps, save, reload into fresh objects, continue: the same bits as never stopping.
        let k = 57
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bertin-resume-\(UUID().uuidString)/step-\(k).h5").path
        let first = try Trainer(objective: MaskedLanguageModeling(model: model), optimizer: Self.optimizer, seed: 42)
        var resumedLosses: [Float] = []
        for _ in 0..<k { resumedLosses.append(try first.step([[Self.batch]]).loss) }
        try first.save(to: path, recipe: "test")
        let second = try Trainer(resumingFrom: path, objective: MaskedLanguageModeling(model: model), optimizer: Self.optimizer)
        #expect(second.step == k)
        for _ in k..<Self.steps { resumedLosses.append(try second.step([[Self.batch]]).loss) }
        #expect(resumedLosses.map(\.bitPattern) == losses.map(\.bitPattern))
        #expect(bits(second) == bits(straight))
        #expect(second.optimizer.firstMoment.values.map(\.bitPattern) == straight.optimizer.firstMoment.values.map(\.bitPattern))
    }

    /// Through the Trainer's own keys: two micro-batches of the same rows must not share dropout
    /// masks. Were the second drawn as the first, the step's mean loss would be exactly the loss of
    /// the first micro-batch alone (what a one-micro-batch step of the same seed computes).
    @Test func microBatchesDrawTheirOwnDropoutMasks() throws {
        let model = try RobertaForMaskedLM(config: Self.config)
        let accumulated = try Trainer(objective: MaskedLanguageModeling(model: model), optimizer: Self.optimizer, seed: 1)
        let single = try Trainer(objective: MaskedLanguageModeling(model: model), optimizer: Self.optimizer, seed: 1)
        #expect(accumulated.parameters.values.map(\.bitPattern) == single.parameters.values.map(\.bitPattern))
        let twice = try accumulated.step([[Self.batch, Self.batch]]).loss
        let once = try single.step([[Self.batch]]).loss
        #expect(twice.isFinite && once.isFinite)
        #expect(twice != once, "the second micro-batch's masks differ from the first's (\(twice) vs \(once))")
        // And the first micro-batch is the one-micro-batch step's: the same key, the same loss, so
        // the mean differs only by the second's own masks.
        let repeated = try Trainer(objective: MaskedLanguageModeling(model: model), optimizer: Self.optimizer, seed: 1)
        #expect(try repeated.step([[Self.batch]]).loss.bitPattern == once.bitPattern, "a step is reproducible")
    }
}
