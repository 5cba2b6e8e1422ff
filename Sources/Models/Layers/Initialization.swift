import Kernels
import Tensor

extension Layer {
    /// transformers' `_init_weights`: weights and embeddings normal(0, `standardDeviation`), biases
    /// zero, LayerNorm weights one. Each parameter draws from its own stream of `seed`, so the
    /// result does not depend on the thread count. A store that keeps one shard (ZeRO-3) drops
    /// the rest of each parameter as soon as it is written.
    static func initialize(_ store: ParameterStore, seed: UInt64, standardDeviation: Float) {
        for (index, entry) in store.entries.enumerated() {
            let start = store.values.baseAddress! + entry.offset
            switch ParameterRole(name: entry.name) {
            case .bias: start.update(repeating: 0, count: entry.count)
            case .normalizationScale: start.update(repeating: 1, count: entry.count)
            case .weight:
                fillNormal(start, count: entry.count, mean: 0, standardDeviation: standardDeviation,
                           key: RandomKey(seed: seed, stream: index))
            }
            store.settle(entry)
        }
    }
}
