import Foundation
import Interop
import Kernels
import Models
import Tensor
import Testing
import Objectives

/// Our RobertaForMaskedLM against transformers 5.23's on a small random model with a padded batch
/// (Scripts/reference/make-roberta-fixture.py). Eval mode: dropout off on both sides.
@Suite struct RobertaReferenceTests {

    @Test func positionIDsFollowTheTokensPastPadding() throws {
        let reference = try TinyRobertaReference()
        let (model, store) = (reference.model, reference.loaded.parameters)
        let positions = try robertaPositionIDs(for: reference.batch.inputIDs, paddingID: 1)
        #expect(positions.indices.map(Int64.init) == (try reference.expected.integers("position_ids")))
        // Row 2 has a pad in the middle: it gets 1 and the count resumes after it.
        #expect(Array(positions.indices[32..<40]) == [2, 3, 4, 5, 6, 7, 1, 8])
    }

    @Test func evalLogits() throws {
        let reference = try TinyRobertaReference()
        let (model, store) = (reference.model, reference.loaded.parameters)
        let logits = try store.value { p in
            try model.logits(p, inputIDs: reference.batch.inputIDs, attentionMask: reference.batch.attentionMask, mode: .evaluation)
        }
        #expect(logits.shape == (try reference.expected.info("logits").shape))
        let (ratio, difference) = compare(logits.scalars, try reference.expected.floats("logits"), relative: 1e-5)
        print("logits: max |ours - transformers| = \(difference)")
        #expect(ratio <= 1, "logits: worst element at \(ratio)x the 1e-5 bound (max abs diff \(difference))")
    }

    @Test func evalLossAndFullHeadLoss() throws {
        let reference = try TinyRobertaReference()
        let (model, store) = (reference.model, reference.loaded.parameters)
        let expected = Double(try reference.expected.floats("loss")[0])
        let output = try store.value { p in try MaskedLanguageModeling(model: model).loss(p, batch: reference.batch, mode: .evaluation).loss }
        let loss = Double(try output.scalar)
        print("loss: ours \(loss), transformers \(expected)")
        #expect(abs(loss - expected) <= 1e-5 * abs(expected))
        // Running the head on every position and skipping -100 in the loss gives the same value.
        let full = try store.value { p in
            try Tensor.crossEntropy(
                logits: try model.logits(p, inputIDs: reference.batch.inputIDs, attentionMask: reference.batch.attentionMask, mode: .evaluation),
                targets: reference.batch.labels)
        }
        #expect(abs(Double(try full.scalar) - loss) <= 1e-6 * loss)
    }

    @Test func everyParameterGradient() throws {
        let reference = try TinyRobertaReference()
        let (model, store) = (reference.model, reference.loaded.parameters)
        store.zeroGradients()
        try store.valueWithGradient { p in try MaskedLanguageModeling(model: model).loss(p, batch: reference.batch, mode: .evaluation).loss }
        var failures: [String] = []
        let scale = (store.gradients.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(store.parameterCount)).squareRoot()
        for entry in store.entries {
            let expected = try reference.expected.floats("gradients." + entry.name)
            if entry.name.hasSuffix("attention.self.key.bias") {
                // Exactly zero in exact arithmetic: the key bias adds q·b to every score of a query's
                // row, which softmax ignores. Both sides hold rounding noise (~1e-9), so a relative
                // comparison would compare noise; both must instead vanish on the model's gradient scale.
                let largest = try store.gradient(entry.name).scalars.map { Double(abs($0)) }.max() ?? 0
                let theirs = expected.map { Double(abs($0)) }.max() ?? 0
                print("gradient \(entry.name): max |ours| = \(largest), max |transformers| = \(theirs), gradient rms \(scale)")
                if max(largest, theirs) > 1e-4 * scale { failures.append("\(entry.name) is not ~0 (\(largest), \(theirs))") }
                continue
            }
            let (ratio, difference) = compare(try store.gradient(entry.name).scalars, expected, relative: 1e-4)
            print("gradient \(entry.name): max |ours - transformers| = \(difference)")
            if ratio > 1 { failures.append("\(entry.name) (\(ratio)x the bound, max abs diff \(difference))") }
        }
        #expect(failures.isEmpty, "gradients off: \(failures)")
        #expect(store.entries.count == reference.expected.tensors.keys.filter { $0.hasPrefix("gradients.") }.count,
                "every transformers parameter is one of ours")
    }
}
