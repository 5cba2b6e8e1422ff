/// What a parameter is, read from its transformers name. The initialiser and the weight-decay mask
/// both need it: biases and LayerNorm scales are treated apart from weights and embeddings.
public enum ParameterRole: Equatable, Sendable {
    case weight
    case bias
    case normalizationScale

    /// `...bias` is a bias (RoBERTa's `lm_head.bias` too); `...LayerNorm.weight`,
    /// `...layer_norm.weight` and GPT-J's `ln_1`/`ln_f` weights are LayerNorm scales.
    public init(name: String) {
        let parts = name.split(separator: ".")
        let last = parts.last.map(String.init) ?? ""
        let owner = parts.dropLast().last.map(String.init) ?? ""
        if last == "bias" {
            self = .bias
        } else if last == "weight", ["LayerNorm", "layer_norm", "ln_1", "ln_2", "ln_f"].contains(owner) {
            self = .normalizationScale
        } else {
            self = .weight
        }
    }
}
