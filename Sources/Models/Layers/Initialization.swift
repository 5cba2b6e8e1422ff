import Kernels
import Tensor

extension Layer {
    /// transformers' `_init_weights`: weights and embeddings normal(0, `standardDeviation`), biases
    /// zero, LayerNorm weights one. Each parameter draws from its own stream of `seed`, so the
    /// result does not depend on the thread count. A store that keeps one shard (ZeRO-3) drops
    /// the rest of each parameter as soon as it is written. Roles are the model's (`makeParameterStore`).
    static func initialize(_ store: ParameterStore, seed: UInt64, standardDeviation: Float) throws {
        for (index, entry) in store.entries.enumerated() {
            let start = store.values.baseAddress! + entry.offset
            guard let role = entry.role else {
                throw ModelError.invalidConfig("parameter \(entry.name) has no role: initialise stores made by the model's makeParameterStore()")
            }
            switch role {
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

extension ParameterRole {
    /// The role of a transformers parameter name: `….bias` is a bias, `….weight` of one of the
    /// family's normalisation modules (`normalizations`: "LayerNorm", "ln_1") a scale, the rest weights.
    static func of(_ name: String, normalizations: Set<String>) -> ParameterRole {
        let parts = name.split(separator: ".")
        let last = parts.last.map(String.init) ?? ""
        let owner = parts.dropLast().last.map(String.init) ?? ""
        if last == "bias" { return .bias }
        return last == "weight" && normalizations.contains(owner) ? .normalizationScale : .weight
    }
}
