import Foundation
import Interop
import Kernels
import Models
import Tensor
import Testing
import Objectives

/// Our RoBERTa classification heads against transformers 5.23's on small random models with a
/// padded batch (Scripts/reference/make-classification-fixture.py). Eval mode: dropout off.
@Suite struct ClassificationReferenceTests {
    struct Reference {
        let loaded: TransformersDirectory.Loaded
        let expected: SafeTensorsFile
        let batch: TokenBatch
        var model: any ClassificationModel { loaded.model as! any ClassificationModel }

        /// Sequence labels (`[B]` in the fixture) sit on each row's first position, -100 elsewhere.
        init(_ name: String) throws {
            loaded = try TransformersDirectory.load(directory: Fixtures.path(name))
            expected = try SafeTensorsFile(path: Fixtures.path(name + "-expected.safetensors"))
            if try expected.info("labels").shape.count == 1 {
                let ids = try expected.integers("input_ids").map { Int32($0) }, shape = try expected.info("input_ids").shape
                var labels = [Int32](repeating: ignoredLabel, count: ids.count)
                for (row, label) in try expected.integers("labels").enumerated() { labels[row * shape[1]] = Int32(label) }
                batch = try TokenBatch(
                    inputIDs: try IndexTensor(shape: shape, indices: ids),
                    attentionMask: try IndexTensor(shape: shape, indices: try expected.integers("attention_mask").map { Int32($0) }),
                    labels: try IndexTensor(shape: shape, indices: labels))
            } else {
                batch = try fixtureBatch(expected)
            }
        }
    }

    @Test(arguments: ["tiny-roberta-token", "tiny-roberta-sequence"])
    func loadsAsTheRightHeadWithItsLabels(name: String) throws {
        let reference = try Reference(name)
        let model = reference.model
        if name.hasSuffix("token") {
            #expect(model is RobertaForTokenClassification && model.labels == ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"])
        } else {
            #expect(model is RobertaForSequenceClassification && model.labels == ["negative", "neutral", "positive"])
        }
        #expect(reference.loaded.ignoredTensors.isEmpty)
    }

    @Test func tokenLogitsAtEveryPosition() throws {
        let reference = try Reference("tiny-roberta-token")
        let batch = reference.batch
        let all = (0..<Int32(batch.inputIDs.count)).map { $0 }
        let logits = try reference.loaded.parameters.value { p in
            try reference.model.logits(p, inputIDs: batch.inputIDs, attentionMask: batch.attentionMask, positions: all, mode: .evaluation)
        }
        let (ratio, difference) = compare(logits.scalars, try reference.expected.floats("logits"), relative: 1e-5)
        print("token logits: max |ours - transformers| = \(difference)")
        #expect(logits.shape == [48, 5] && ratio <= 1, "worst element at \(ratio)x the 1e-5 bound")
    }

    @Test func sequenceLogitsOnTheFirstToken() throws {
        let reference = try Reference("tiny-roberta-sequence")
        let batch = reference.batch
        let logits = try reference.loaded.parameters.value { p in
            try reference.model.logits(p, inputIDs: batch.inputIDs, attentionMask: batch.attentionMask, positions: [0, 16, 32], mode: .evaluation)
        }
        let (ratio, difference) = compare(logits.scalars, try reference.expected.floats("logits"), relative: 1e-5)
        print("sequence logits: max |ours - transformers| = \(difference)")
        #expect(logits.shape == [3, 3] && ratio <= 1, "worst element at \(ratio)x the 1e-5 bound")
        #expect(throws: ModelError.self) {
            try reference.loaded.parameters.value { p in
                try reference.model.logits(p, inputIDs: batch.inputIDs, attentionMask: batch.attentionMask, positions: [1], mode: .evaluation)
            }
        }
    }

    @Test(arguments: ["tiny-roberta-token", "tiny-roberta-sequence"])
    func lossAndEveryGradient(name: String) throws {
        let reference = try Reference(name)
        let store = reference.loaded.parameters
        store.zeroGradients()
        let loss = try store.valueWithGradient { p in try ObjectiveRegistry.scoring(reference.model).loss(p, batch: reference.batch, mode: .evaluation).loss }
        let expected = Double(try reference.expected.floats("loss")[0])
        print("\(name) loss: ours \(loss), transformers \(expected)")
        #expect(abs(Double(loss) - expected) <= 1e-5 * abs(expected))
        var failures: [String] = []
        let scale = (store.gradients.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(store.parameterCount)).squareRoot()
        for entry in store.entries {
            let expected = try reference.expected.floats("gradients." + entry.name)
            if entry.name.hasSuffix("attention.self.key.bias") {
                // Zero in exact arithmetic (softmax ignores a per-row constant): both must vanish on the gradient's scale.
                let largest = max(try store.gradient(entry.name).scalars.map { Double(abs($0)) }.max() ?? 0, expected.map { Double(abs($0)) }.max() ?? 0)
                if largest > 1e-4 * scale { failures.append("\(entry.name) is not ~0 (\(largest))") }
                continue
            }
            let (ratio, difference) = compare(try store.gradient(entry.name).scalars, expected, relative: 1e-4)
            if ratio > 1 { failures.append("\(entry.name) (\(ratio)x the bound, max abs diff \(difference))") }
        }
        #expect(failures.isEmpty, "gradients off: \(failures)")
        #expect(store.entries.count == reference.expected.tensors.keys.filter { $0.hasPrefix("gradients.") }.count)
    }

    @Test func exportWritesTheLabelsBack() throws {
        let reference = try Reference("tiny-roberta-token")
        let folder = temporaryPath("export")
        try TransformersDirectory.save(model: reference.model, parameters: reference.loaded.parameters, configJSON: reference.loaded.configJSON, to: folder)
        let json = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: folder + "/config.json"))) as! [String: Any]
        #expect(json["architectures"] as? [String] == ["RobertaForTokenClassification"])
        #expect(json["id2label"] as? [String: String] == ["0": "O", "1": "B-PER", "2": "I-PER", "3": "B-LOC", "4": "I-LOC"])
        #expect((json["label2id"] as? [String: Int])?["I-LOC"] == 4)
        let back = try TransformersDirectory.load(directory: folder)
        #expect(back.parameters.values.elementsEqual(reference.loaded.parameters.values), "bit for bit")
    }
}
