/// transformers' state_dict names for GPT-J, kept apart from the Swift code that reads them.
enum GPTJName {
    static let wordEmbeddings = "transformer.wte.weight"
    static func layer(_ index: Int) -> String { "transformer.h.\(index)" }
    static let norm = "ln_1"
    static let query = "attn.q_proj"
    static let key = "attn.k_proj"
    static let value = "attn.v_proj"
    static let attentionOutput = "attn.out_proj"
    static let feedForwardIn = "mlp.fc_in"
    static let feedForwardOut = "mlp.fc_out"
    static let finalNorm = "transformer.ln_f"
    static let head = "lm_head"
}
