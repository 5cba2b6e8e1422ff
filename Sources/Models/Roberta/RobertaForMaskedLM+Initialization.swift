import Tensor

extension RobertaForMaskedLM {
    /// transformers' initialisation (`Layer.initialize`), then the padding rows of the word and
    /// position tables zero (their `padding_idx`).
    public func initialize(_ store: ParameterStore, seed: UInt64) throws {
        Layer.initialize(store, seed: seed, standardDeviation: config.initializerRange)
        for table in [RobertaName.wordEmbeddings, RobertaName.positionEmbeddings] {
            let entry = try store.entry(named: table)
            (store.values.baseAddress! + entry.offset + config.paddingTokenID * config.hiddenSize)
                .update(repeating: 0, count: config.hiddenSize)
        }
    }
}
