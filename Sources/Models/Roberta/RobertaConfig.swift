/// The size and constants of a RoBERTa model. Property names are Swift's; `CodingKeys` maps them to
/// the keys of transformers' `config.json`, so one type reads and writes Hugging Face configs.
public struct RobertaConfig: Codable, Equatable, Sendable {
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var intermediateSize: Int
    /// Learned position rows: RoBERTa's positions start at `paddingTokenID + 1`, so a model for
    /// rows of T tokens needs T + 2 of them (514 for 512).
    public var maxPositionEmbeddings: Int
    public var typeVocabularySize: Int
    public var layerNormEpsilon: Float
    public var hiddenDropout: Float
    public var attentionDropout: Float
    /// Standard deviation of the normal initialisation of weights and embeddings.
    public var initializerRange: Float
    public var paddingTokenID: Int
    public var beginTokenID: Int
    public var endTokenID: Int
    /// Only transformers' exact `gelu` (erf form) is accepted: RoBERTa uses it.
    public var hiddenActivation: String

    public init(
        vocabularySize: Int, hiddenSize: Int, layerCount: Int, headCount: Int, intermediateSize: Int,
        maxPositionEmbeddings: Int, typeVocabularySize: Int = 1, layerNormEpsilon: Float = 1e-5,
        hiddenDropout: Float = 0.1, attentionDropout: Float = 0.1, initializerRange: Float = 0.02,
        paddingTokenID: Int = 1, beginTokenID: Int = 0, endTokenID: Int = 2
    ) {
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.intermediateSize = intermediateSize
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.typeVocabularySize = typeVocabularySize
        self.layerNormEpsilon = layerNormEpsilon
        self.hiddenDropout = hiddenDropout
        self.attentionDropout = attentionDropout
        self.initializerRange = initializerRange
        self.paddingTokenID = paddingTokenID
        self.beginTokenID = beginTokenID
        self.endTokenID = endTokenID
        self.hiddenActivation = "gelu"
    }

    /// `roberta-base`, the size of BERTIN: 125M parameters.
    public static let robertaBase = RobertaConfig(
        vocabularySize: 50265, hiddenSize: 768, layerCount: 12, headCount: 12, intermediateSize: 3072,
        maxPositionEmbeddings: 514)

    public var headSize: Int { hiddenSize / headCount }

    /// Throws unless the sizes make a model (heads divide the width, positions exist for the pad offset).
    public func validate() throws {
        func require(_ condition: Bool, _ reason: String) throws {
            if !condition { throw ModelError.invalidConfig(reason) }
        }
        try ConfigBounds.check([("vocab_size", vocabularySize, ConfigBounds.vocabulary), ("hidden_size", hiddenSize, ConfigBounds.width),
                                ("num_hidden_layers", layerCount, ConfigBounds.layers), ("num_attention_heads", headCount, ConfigBounds.width),
                                ("intermediate_size", intermediateSize, 4 * ConfigBounds.width), ("type_vocab_size", typeVocabularySize, ConfigBounds.vocabulary),
                                ("max_position_embeddings", maxPositionEmbeddings, ConfigBounds.positions)])
        try require(hiddenSize % headCount == 0, "hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount)")
        try require((0..<vocabularySize).contains(paddingTokenID), "pad_token_id \(paddingTokenID) is outside the vocabulary")
        try require(maxPositionEmbeddings > paddingTokenID + 1, "max_position_embeddings \(maxPositionEmbeddings) leaves no position after the padding offset \(paddingTokenID + 1)")
        try require((0..<1).contains(hiddenDropout) && (0..<1).contains(attentionDropout), "dropout probabilities must lie in [0, 1)")
        try require(hiddenActivation == "gelu", "hidden_act \"\(hiddenActivation)\" is not supported (RoBERTa uses \"gelu\")")
    }

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size", hiddenSize = "hidden_size", layerCount = "num_hidden_layers"
        case headCount = "num_attention_heads", intermediateSize = "intermediate_size"
        case maxPositionEmbeddings = "max_position_embeddings", typeVocabularySize = "type_vocab_size"
        case layerNormEpsilon = "layer_norm_eps", hiddenDropout = "hidden_dropout_prob"
        case attentionDropout = "attention_probs_dropout_prob", initializerRange = "initializer_range"
        case paddingTokenID = "pad_token_id", beginTokenID = "bos_token_id", endTokenID = "eos_token_id"
        case hiddenActivation = "hidden_act"
    }

    /// Missing keys take transformers' `RobertaConfig` defaults (hence 512 positions, 2 token types
    /// and eps 1e-12 there, unlike `roberta-base`'s own file).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabularySize = try c.decodeIfPresent(Int.self, forKey: .vocabularySize) ?? 50265
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? 768
        layerCount = try c.decodeIfPresent(Int.self, forKey: .layerCount) ?? 12
        headCount = try c.decodeIfPresent(Int.self, forKey: .headCount) ?? 12
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? 3072
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 512
        typeVocabularySize = try c.decodeIfPresent(Int.self, forKey: .typeVocabularySize) ?? 2
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-12
        hiddenDropout = try c.decodeIfPresent(Float.self, forKey: .hiddenDropout) ?? 0.1
        attentionDropout = try c.decodeIfPresent(Float.self, forKey: .attentionDropout) ?? 0.1
        initializerRange = try c.decodeIfPresent(Float.self, forKey: .initializerRange) ?? 0.02
        paddingTokenID = try c.decodeIfPresent(Int.self, forKey: .paddingTokenID) ?? 1
        beginTokenID = try c.decodeIfPresent(Int.self, forKey: .beginTokenID) ?? 0
        endTokenID = try c.decodeIfPresent(Int.self, forKey: .endTokenID) ?? 2
        hiddenActivation = try c.decodeIfPresent(String.self, forKey: .hiddenActivation) ?? "gelu"
    }
}
