import Tensor

extension RobertaForMaskedLM: LanguageModel {
    public static let modelType = "roberta"
    public static let architecture = "RobertaForMaskedLM"
    public static let defaultObjective = "masked-lm"

    public var vocabularySize: Int { config.vocabularySize }
    public var hiddenSize: Int { config.hiddenSize }
    public var maxSequenceLength: Int { encoder.maxSequenceLength }
    public func role(of name: String) -> ParameterRole { RobertaEncoder.role(of: name) }
    public var tensorsPerBlock: Int { encoder.tensorsPerBlock }

    /// transformers stores the tied decoder's bias as `lm_head.decoder.bias` too, and may store the
    /// decoder weight (equal to the word embeddings); a pooler and the position-id buffer are unused.
    public static let transformersNames = TransformersNames(
        aliases: [RobertaName.headBias: "lm_head.decoder.bias"],
        tied: ["lm_head.decoder.weight": RobertaName.wordEmbeddings],
        ignorable: { $0.hasPrefix("roberta.pooler.") || $0 == "roberta.embeddings.position_ids" },
        flaxFollowsTheRenameRule: true)

    /// Heads on the encoder alone (classification) may find a pretrained file's pooler and buffer.
    static let encoderOnlyNames = TransformersNames(
        ignorable: { $0.hasPrefix("roberta.pooler.") || $0 == "roberta.embeddings.position_ids" })

    public func transformersConfig(mergingInto original: String?) throws -> [String: Any] {
        try robertaTransformersConfig(config, mergingInto: original)
    }
}

/// transformers' `RobertaConfig` keys for `config`, written over `original`'s.
func robertaTransformersConfig(_ config: RobertaConfig, mergingInto original: String?) throws -> [String: Any] {
    try mergedConfig(config, into: original, floats: robertaConfigFloats(config), extra: ["tie_word_embeddings": true])
}

/// The Float keys of `RobertaConfig`, written through their shortest decimal.
func robertaConfigFloats(_ config: RobertaConfig) -> [String: Float] {
    ["layer_norm_eps": config.layerNormEpsilon, "hidden_dropout_prob": config.hiddenDropout,
     "attention_probs_dropout_prob": config.attentionDropout, "initializer_range": config.initializerRange]
}

extension RobertaConfig: ModelConfiguration {
    /// A recipe's `model:` keys for RoBERTa; absent keys take roberta-base's sizes.
    public struct RecipeSection: Decodable, Sendable {
        var hiddenSize: Int?, layers: Int?, heads: Int?, intermediateSize: Int?, maxPositionEmbeddings: Int?
        var hiddenDropout: Float?, attentionDropout: Float?, vocabularySize: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case layers, heads
            case hiddenSize = "hidden_size", intermediateSize = "intermediate_size", maxPositionEmbeddings = "max_position_embeddings"
            case hiddenDropout = "hidden_dropout", attentionDropout = "attention_dropout", vocabularySize = "vocab_size"
        }
    }

    public static var recipeKeys: [String] { RecipeSection.CodingKeys.allCases.map(\.rawValue) }

    /// Positions count from the padding id + 1 (2), so rows of `length` need `length + 2`.
    public static func positionSettings(forRowsOf length: Int) -> [String: Int] {
        [RecipeSection.CodingKeys.maxPositionEmbeddings.rawValue: length + 2]
    }

    public init(recipe: RecipeSection, vocabularySize: Int) throws {
        let base = RobertaConfig.robertaBase
        self.init(vocabularySize: recipe.vocabularySize ?? vocabularySize, hiddenSize: recipe.hiddenSize ?? base.hiddenSize,
                  layerCount: recipe.layers ?? base.layerCount, headCount: recipe.heads ?? base.headCount,
                  intermediateSize: recipe.intermediateSize ?? base.intermediateSize,
                  maxPositionEmbeddings: recipe.maxPositionEmbeddings ?? base.maxPositionEmbeddings,
                  hiddenDropout: recipe.hiddenDropout ?? base.hiddenDropout, attentionDropout: recipe.attentionDropout ?? base.attentionDropout)
    }
}
