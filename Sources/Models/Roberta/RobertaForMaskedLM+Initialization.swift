import Kernels
import Tensor

extension RobertaForMaskedLM {
    /// transformers' initialisation: weights and embeddings normal(0, initializer_range), biases
    /// zero, LayerNorm weights one, and the padding rows of the word and position tables zero (their
    /// `padding_idx`). Each parameter draws from its own stream of `seed`, so the result does not
    /// depend on the thread count.
    public func initialize(_ store: ParameterStore, seed: UInt64) throws {
        for (index, entry) in store.entries.enumerated() {
            let start = store.values.baseAddress! + entry.offset
            switch ParameterRole(name: entry.name) {
            case .bias: start.update(repeating: 0, count: entry.count)
            case .normalizationScale: start.update(repeating: 1, count: entry.count)
            case .weight:
                fillNormal(start, count: entry.count, mean: 0, standardDeviation: config.initializerRange,
                           key: RandomKey(seed: seed, stream: index))
            }
        }
        for table in [RobertaName.wordEmbeddings, RobertaName.positionEmbeddings] {
            let entry = try store.entry(named: table)
            (store.values.baseAddress! + entry.offset + config.paddingTokenID * config.hiddenSize)
                .update(repeating: 0, count: config.hiddenSize)
        }
    }
}
