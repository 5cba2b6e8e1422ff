/// The size and constants of a GPT-J model. Property names are Swift's; `CodingKeys` maps them to
/// transformers' `config.json` keys (`n_embd`, `n_layer`, ...). Keys we do not model (older files
/// carry `n_ctx`, `scale_attn_weights`, `gradient_checkpointing`) are ignored on decode.
public struct GPTJConfig: Codable, Equatable, Sendable {
    public var vocabularySize: Int
    /// Longest sequence (`n_positions`): rows of 2048 for GPT-J-6B.
    public var positionCount: Int
    public var hiddenSize: Int
    public var layerCount: Int
    public var headCount: Int
    /// Features of each head that rotary turns (the rest pass through).
    public var rotaryDimension: Int
    /// The MLP's width; `nil` means 4 × hidden size (transformers' `n_inner: null`).
    public var intermediateSize: Int?
    /// Only `gelu_new` (GELU's tanh form) is accepted: GPT-J uses it.
    public var activation: String
    public var residualDropout: Float
    public var embeddingDropout: Float
    public var attentionDropout: Float
    public var layerNormEpsilon: Float
    public var initializerRange: Float
    public var beginTokenID: Int?
    public var endTokenID: Int?
    public var paddingTokenID: Int?
    /// GPT-J's output projection is its own matrix; tied ones are refused.
    public var tieWordEmbeddings: Bool

    public init(vocabularySize: Int, positionCount: Int, hiddenSize: Int, layerCount: Int, headCount: Int, rotaryDimension: Int,
                intermediateSize: Int? = nil, residualDropout: Float = 0, embeddingDropout: Float = 0, attentionDropout: Float = 0,
                layerNormEpsilon: Float = 1e-5, initializerRange: Float = 0.02,
                beginTokenID: Int? = 50256, endTokenID: Int? = 50256, paddingTokenID: Int? = nil) {
        (self.vocabularySize, self.positionCount, self.hiddenSize, self.layerCount, self.headCount, self.rotaryDimension) =
            (vocabularySize, positionCount, hiddenSize, layerCount, headCount, rotaryDimension)
        (self.intermediateSize, self.residualDropout, self.embeddingDropout, self.attentionDropout) =
            (intermediateSize, residualDropout, embeddingDropout, attentionDropout)
        (self.layerNormEpsilon, self.initializerRange, self.beginTokenID, self.endTokenID, self.paddingTokenID) =
            (layerNormEpsilon, initializerRange, beginTokenID, endTokenID, paddingTokenID)
        activation = "gelu_new"
        tieWordEmbeddings = false
    }

    /// EleutherAI's GPT-J-6B, the base of BERTIN-GPT-J-6B: 6,050,882,784 parameters.
    public static let gptj6B = GPTJConfig(vocabularySize: 50400, positionCount: 2048, hiddenSize: 4096, layerCount: 28,
                                          headCount: 16, rotaryDimension: 64)

    public var headSize: Int { hiddenSize / headCount }
    public var innerSize: Int { intermediateSize ?? 4 * hiddenSize }

    public func validate() throws {
        func require(_ condition: Bool, _ reason: String) throws {
            if !condition { throw ModelError.invalidConfig(reason) }
        }
        try ConfigBounds.check([("vocab_size", vocabularySize, ConfigBounds.vocabulary), ("n_positions", positionCount, ConfigBounds.positions),
                                ("n_embd", hiddenSize, ConfigBounds.width), ("n_layer", layerCount, ConfigBounds.layers),
                                ("n_head", headCount, ConfigBounds.width), ("n_inner", intermediateSize ?? 1, 4 * ConfigBounds.width)])
        try require(hiddenSize % headCount == 0, "n_embd \(hiddenSize) is not a multiple of n_head \(headCount)")
        try require(rotaryDimension > 0 && rotaryDimension % 2 == 0 && rotaryDimension <= headSize,
                    "rotary_dim \(rotaryDimension) must be even, positive and at most the head size \(headSize)")
        try require([residualDropout, embeddingDropout, attentionDropout].allSatisfy { (0..<1).contains($0) }, "dropout probabilities must lie in [0, 1)")
        try require(activation == "gelu_new", "activation_function \"\(activation)\" is not supported (GPT-J uses \"gelu_new\")")
        try require(!tieWordEmbeddings, "tie_word_embeddings is true: GPT-J's lm_head is its own matrix")
    }

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size", positionCount = "n_positions", hiddenSize = "n_embd", layerCount = "n_layer"
        case headCount = "n_head", rotaryDimension = "rotary_dim", intermediateSize = "n_inner", activation = "activation_function"
        case residualDropout = "resid_pdrop", embeddingDropout = "embd_pdrop", attentionDropout = "attn_pdrop"
        case layerNormEpsilon = "layer_norm_epsilon", initializerRange = "initializer_range"
        case beginTokenID = "bos_token_id", endTokenID = "eos_token_id", paddingTokenID = "pad_token_id"
        case tieWordEmbeddings = "tie_word_embeddings"
    }

    /// Missing keys take transformers' `GPTJConfig` defaults (the 6B sizes).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = GPTJConfig.gptj6B
        vocabularySize = try c.decodeIfPresent(Int.self, forKey: .vocabularySize) ?? d.vocabularySize
        positionCount = try c.decodeIfPresent(Int.self, forKey: .positionCount) ?? d.positionCount
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        layerCount = try c.decodeIfPresent(Int.self, forKey: .layerCount) ?? d.layerCount
        headCount = try c.decodeIfPresent(Int.self, forKey: .headCount) ?? d.headCount
        rotaryDimension = try c.decodeIfPresent(Int.self, forKey: .rotaryDimension) ?? d.rotaryDimension
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize)
        activation = try c.decodeIfPresent(String.self, forKey: .activation) ?? "gelu_new"
        residualDropout = try c.decodeIfPresent(Float.self, forKey: .residualDropout) ?? 0
        embeddingDropout = try c.decodeIfPresent(Float.self, forKey: .embeddingDropout) ?? 0
        attentionDropout = try c.decodeIfPresent(Float.self, forKey: .attentionDropout) ?? 0
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-5
        initializerRange = try c.decodeIfPresent(Float.self, forKey: .initializerRange) ?? 0.02
        // eos_token_id may be a list in transformers; GPT-J's files hold one id.
        beginTokenID = try? c.decodeIfPresent(Int.self, forKey: .beginTokenID) ?? d.beginTokenID
        endTokenID = try? c.decodeIfPresent(Int.self, forKey: .endTokenID) ?? d.endTokenID
        paddingTokenID = try? c.decodeIfPresent(Int.self, forKey: .paddingTokenID)
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        try c.encode(positionCount, forKey: .positionCount)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(layerCount, forKey: .layerCount)
        try c.encode(headCount, forKey: .headCount)
        try c.encode(rotaryDimension, forKey: .rotaryDimension)
        try c.encode(intermediateSize, forKey: .intermediateSize)  // null: 4 × n_embd, as transformers writes it
        try c.encode(activation, forKey: .activation)
        try c.encode(residualDropout, forKey: .residualDropout)
        try c.encode(embeddingDropout, forKey: .embeddingDropout)
        try c.encode(attentionDropout, forKey: .attentionDropout)
        try c.encode(layerNormEpsilon, forKey: .layerNormEpsilon)
        try c.encode(initializerRange, forKey: .initializerRange)
        try c.encode(beginTokenID, forKey: .beginTokenID)
        try c.encode(endTokenID, forKey: .endTokenID)
        try c.encode(paddingTokenID, forKey: .paddingTokenID)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
    }
}

extension GPTJConfig: ModelConfiguration {
    /// A recipe's `model:` keys for GPT-J (the same names as RoBERTa's where they mean the same);
    /// absent keys take GPT-J-6B's sizes.
    public struct RecipeSection: Decodable, Sendable {
        var hiddenSize: Int?, layers: Int?, heads: Int?, intermediateSize: Int?, rotaryDimension: Int?, maxPositionEmbeddings: Int?
        var residualDropout: Float?, embeddingDropout: Float?, attentionDropout: Float?, vocabularySize: Int?, endTokenID: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case layers, heads
            case hiddenSize = "hidden_size", intermediateSize = "intermediate_size", rotaryDimension = "rotary_dim"
            case maxPositionEmbeddings = "max_position_embeddings", residualDropout = "residual_dropout"
            case embeddingDropout = "embedding_dropout", attentionDropout = "attention_dropout", vocabularySize = "vocab_size"
            case endTokenID = "eos_token_id"
        }
    }

    public static var recipeKeys: [String] { RecipeSection.CodingKeys.allCases.map(\.rawValue) }

    /// Positions count from 0: rows of `length` need `length`.
    public static func positionSettings(forRowsOf length: Int) -> [String: Int] {
        [RecipeSection.CodingKeys.maxPositionEmbeddings.rawValue: length]
    }

    public init(recipe: RecipeSection, vocabularySize: Int) throws {
        let base = GPTJConfig.gptj6B
        let vocabularySize = recipe.vocabularySize ?? vocabularySize
        // GPT-2's <|endoftext|> (50256) only where the vocabulary has it; another tokenizer's end
        // token is named in the recipe (eos_token_id), or none is recorded.
        let end = recipe.endTokenID ?? (vocabularySize > 50256 ? base.endTokenID : nil)
        self.init(vocabularySize: vocabularySize, positionCount: recipe.maxPositionEmbeddings ?? base.positionCount,
                  hiddenSize: recipe.hiddenSize ?? base.hiddenSize, layerCount: recipe.layers ?? base.layerCount,
                  headCount: recipe.heads ?? base.headCount, rotaryDimension: recipe.rotaryDimension ?? base.rotaryDimension,
                  intermediateSize: recipe.intermediateSize, residualDropout: recipe.residualDropout ?? 0,
                  embeddingDropout: recipe.embeddingDropout ?? 0, attentionDropout: recipe.attentionDropout ?? 0,
                  beginTokenID: end, endTokenID: end)
    }
}
