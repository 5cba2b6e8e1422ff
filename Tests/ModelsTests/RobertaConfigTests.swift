import Foundation
import Kernels
import Models
import Tensor
import Testing
import Objectives

@Suite struct RobertaConfigTests {
    @Test func robertaBaseHasTransformersParameterCount() throws {
        let model = try RobertaForMaskedLM(config: .robertaBase)
        // sum(p.numel() for p in RobertaForMaskedLM(roberta-base config).parameters()) in transformers 5.23.
        #expect(model.layout.reduce(0) { $0 + $1.shape.reduce(1, *) } == 124_697_433)
        #expect(model.layout.first { $0.name == "roberta.encoder.layer.11.attention.self.query.weight" }?.shape == [768, 768])
        #expect(model.layout.first { $0.name == "roberta.encoder.layer.0.intermediate.dense.weight" }?.shape == [3072, 768])
    }

    @Test func configReadsTransformersKeysAndRejectsNonsense() throws {
        let json = #"{"vocab_size": 100, "hidden_size": 24, "num_hidden_layers": 1, "num_attention_heads": 5, "intermediate_size": 8}"#
        let config = try JSONDecoder().decode(RobertaConfig.self, from: Data(json.utf8))
        #expect(config.typeVocabularySize == 2 && config.maxPositionEmbeddings == 512, "transformers' RobertaConfig defaults")
        #expect(throws: ModelError.invalidConfig("hidden_size 24 is not a multiple of num_attention_heads 5")) {
            _ = try RobertaForMaskedLM(config: config)
        }
        var relu = RobertaConfig.robertaBase
        relu.hiddenActivation = "relu"
        #expect(throws: ModelError.invalidConfig("hidden_act \"relu\" is not supported (RoBERTa uses \"gelu\")")) {
            _ = try RobertaForMaskedLM(config: relu)
        }
    }

    @Test func initializationFollowsTransformers() throws {
        let config = RobertaConfig(vocabularySize: 300, hiddenSize: 64, layerCount: 1, headCount: 4, intermediateSize: 128, maxPositionEmbeddings: 40)
        let model = try RobertaForMaskedLM(config: config)
        let store = try model.makeParameterStore()
        try model.initialize(store, seed: 3)
        let words = try store.value("roberta.embeddings.word_embeddings.weight").scalars
        let padding = words[64..<128]
        #expect(padding.allSatisfy { $0 == 0 }, "the padding row is zero")
        let others = words[128...].map(Double.init)
        let std = (others.reduce(0) { $0 + $1 * $1 } / Double(others.count)).squareRoot()
        #expect(abs(std - 0.02) < 0.001, "normal(0, 0.02): measured std \(std)")
        #expect(try store.value("lm_head.bias").scalars.allSatisfy { $0 == 0 })
        #expect(try store.value("roberta.encoder.layer.0.output.LayerNorm.weight").scalars.allSatisfy { $0 == 1 })
        #expect(try store.value("roberta.encoder.layer.0.output.dense.bias").scalars.allSatisfy { $0 == 0 })
    }

    @Test func badBatchesAreNamed() throws {
        let model = try RobertaForMaskedLM(config: RobertaConfig(vocabularySize: 10, hiddenSize: 8, layerCount: 1, headCount: 2, intermediateSize: 8, maxPositionEmbeddings: 6))
        let store = try model.makeParameterStore()
        #expect(throws: ModelError.invalidBatch("labels row 1 has 2 tokens, row 0 of input_ids has 3")) {
            _ = try TokenBatch(inputIDs: [[0, 5, 2], [0, 5, 2]], labels: [[-100, 5, -100], [5, 5]])
        }
        let long = try TokenBatch(inputIDs: [[0, 5, 6, 7, 8, 2]], labels: [[-100, 5, -100, -100, -100, -100]])
        #expect(throws: ModelError.invalidBatch("a row of 6 tokens needs position 7, but max_position_embeddings is 6")) {
            _ = try store.value { p in try MaskedLanguageModeling(model: model).loss(p, batch: long, mode: .evaluation) }
        }
        let unlabelled = try TokenBatch(inputIDs: [[0, 5, 2]], labels: [[-100, -100, -100]])
        #expect(throws: ModelError.invalidBatch("no token carries a label (every label is -100)")) {
            _ = try store.value { p in try MaskedLanguageModeling(model: model).loss(p, batch: unlabelled, mode: .evaluation) }
        }
    }

    @Test func dropoutActsOnlyInTraining() throws {
        let reference = try TinyRobertaReference()
        let (model, store) = (reference.model, reference.loaded.parameters)
        func loss(_ mode: ForwardMode) throws -> Float {
            try store.value { p in try MaskedLanguageModeling(model: model).loss(p, batch: reference.batch, mode: mode).loss.scalar }
        }
        let key = RandomKey(seed: 5, step: 3)
        #expect(try loss(.evaluation) == (try loss(.evaluation)))
        #expect(try loss(.training(dropoutKey: key)) == (try loss(.training(dropoutKey: key))), "the same key, the same masks")
        #expect(try loss(.training(dropoutKey: key)) != (try loss(.evaluation)))
        #expect(try loss(.training(dropoutKey: key)) != (try loss(.training(dropoutKey: RandomKey(seed: 5, step: 4)))))
    }
}
