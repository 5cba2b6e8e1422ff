import Models
import Tensor
import Testing

/// Each family names its parameters' roles (what the initialiser and BERTIN's decay mask read):
/// the assertions Tensor's name parser used to carry, now answered by the families.
@Suite struct ParameterRoleTests {
    @Test func robertaNamesItsLayerNormsAndBiases() {
        #expect(RobertaEncoder.role(of: "roberta.encoder.layer.3.attention.output.LayerNorm.weight") == .normalizationScale)
        #expect(RobertaEncoder.role(of: "lm_head.layer_norm.weight") == .normalizationScale)
        #expect(RobertaEncoder.role(of: "lm_head.bias") == .bias)
        #expect(RobertaEncoder.role(of: "roberta.embeddings.word_embeddings.weight") == .weight)
        #expect(RobertaEncoder.role(of: "roberta.encoder.layer.0.attention.self.query.weight") == .weight)
    }

    @Test func gptjNamesItsLayerNormsAndBiases() throws {
        let gptj = try GPTJForCausalLM(config: GPTJConfig(vocabularySize: 300, positionCount: 64, hiddenSize: 32, layerCount: 2, headCount: 4, rotaryDimension: 4))
        #expect(gptj.role(of: "transformer.h.0.ln_1.weight") == .normalizationScale)
        #expect(gptj.role(of: "transformer.ln_f.weight") == .normalizationScale)
        #expect(gptj.role(of: "transformer.h.1.mlp.fc_in.bias") == .bias)
        #expect(gptj.role(of: "lm_head.weight") == .weight)
        // Every entry of a model's store carries its role.
        let store = try gptj.makeParameterStore()
        #expect(store.entries.allSatisfy { $0.role == gptj.role(of: $0.name) })
        // One LayerNorm per block (attention and MLP share ln_1) and the final ln_f.
        #expect(store.entries.filter { $0.role == .normalizationScale }.count == 2 + 1)
    }

    @Test func blocksHoldTheLayoutsTensors() throws {
        let gptj = try GPTJForCausalLM(config: GPTJConfig(vocabularySize: 300, positionCount: 64, hiddenSize: 32, layerCount: 2, headCount: 4, rotaryDimension: 4))
        #expect(gptj.tensorsPerBlock == 10)
        let roberta = try RobertaForMaskedLM(config: RobertaConfig(vocabularySize: 300, hiddenSize: 32, layerCount: 2, headCount: 4, intermediateSize: 48, maxPositionEmbeddings: 40))
        #expect(roberta.tensorsPerBlock == 16)
    }
}
