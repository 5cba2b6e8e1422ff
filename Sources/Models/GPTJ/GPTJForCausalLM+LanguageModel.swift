import Tensor

extension GPTJForCausalLM: LanguageModel {
    public static let modelType = "gptj"
    public static let architecture = "GPTJForCausalLM"
    public static let defaultObjective = "causal-lm"

    public var vocabularySize: Int { config.vocabularySize }
    public var hiddenSize: Int { config.hiddenSize }
    public var maxSequenceLength: Int { config.positionCount }

    /// Biases; the weights of `ln_1` and `ln_f` are scales; everything else is a weight.
    public func role(of name: String) -> ParameterRole { .of(name, normalizations: [GPTJName.norm, "ln_f"]) }

    /// The tensors of one block (the first's: all are alike).
    public var tensorsPerBlock: Int { layout.filter { $0.name.hasPrefix(GPTJName.layer(0) + ".") }.count }

    /// transformers' initialisation: normal(0, initializer_range) weights and embeddings, zero
    /// biases, unit LayerNorm weights.
    public func initialize(_ store: ParameterStore, seed: UInt64) throws {
        try Layer.initialize(store, seed: seed, standardDeviation: config.initializerRange)
    }

    public func hiddenStates(_ p: Parameters, inputIDs: IndexTensor, attentionMask: IndexTensor, mode: ForwardMode) throws -> Tensor {
        try hiddenStates(p, inputIDs: inputIDs, attentionMask: attentionMask, mode: mode, cache: nil)
    }

    /// Older files carry the causal-mask buffers `attn.bias` / `attn.masked_bias` (not parameters).
    public static let transformersNames = TransformersNames(
        ignorable: { $0.hasSuffix(".attn.bias") || $0.hasSuffix(".attn.masked_bias") })

    public func transformersConfig(mergingInto original: String?) throws -> [String: Any] {
        try mergedConfig(
            config, into: original,
            floats: ["layer_norm_epsilon": config.layerNormEpsilon, "resid_pdrop": config.residualDropout,
                     "embd_pdrop": config.embeddingDropout, "attn_pdrop": config.attentionDropout, "initializer_range": config.initializerRange])
    }
}
