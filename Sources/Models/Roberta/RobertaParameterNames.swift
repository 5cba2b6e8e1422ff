/// transformers' state_dict names for RoBERTa, kept apart from the Swift code that reads them
/// (the checkpoint, the HF converter and the model all use these).
enum RobertaName {
    static let wordEmbeddings = "roberta.embeddings.word_embeddings.weight"
    static let positionEmbeddings = "roberta.embeddings.position_embeddings.weight"
    static let tokenTypeEmbeddings = "roberta.embeddings.token_type_embeddings.weight"
    static let embeddingsNorm = "roberta.embeddings.LayerNorm"

    static func layer(_ index: Int) -> String { "roberta.encoder.layer.\(index)" }
    static let query = "attention.self.query"
    static let key = "attention.self.key"
    static let value = "attention.self.value"
    static let attentionOutput = "attention.output.dense"
    static let attentionNorm = "attention.output.LayerNorm"
    static let intermediate = "intermediate.dense"
    static let output = "output.dense"
    static let outputNorm = "output.LayerNorm"

    static let headDense = "lm_head.dense"
    static let headNorm = "lm_head.layer_norm"
    /// The vocabulary bias of the tied decoder (`lm_head.decoder.bias` is the same tensor in
    /// transformers; only this name is stored).
    static let headBias = "lm_head.bias"

    /// Token classification's linear layer; sequence classification's two layers sit under it.
    static let classifier = "classifier"
    static let classifierDense = "classifier.dense"
    static let classifierOutput = "classifier.out_proj"
}
