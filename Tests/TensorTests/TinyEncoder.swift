import Kernels
@testable import Tensor

/// A small transformer-shaped computation used by tests that need "a real step": embedding,
/// LayerNorm, masked self-attention with dropout, a GELU MLP, a tied output projection and a
/// cross-entropy with ignored labels. Its layout follows transformers' names.
struct TinyEncoder {
    let batch = 2, time = 24, channels = 32, heads = 4, vocabulary = 101, hidden = 64

    var layout: [(name: String, shape: [Int])] {
        [("embeddings.word_embeddings.weight", [vocabulary, channels]),
         ("embeddings.LayerNorm.weight", [channels]), ("embeddings.LayerNorm.bias", [channels]),
         ("attention.query.weight", [channels, channels]), ("attention.query.bias", [channels]),
         ("attention.key.weight", [channels, channels]), ("attention.key.bias", [channels]),
         ("attention.value.weight", [channels, channels]), ("attention.value.bias", [channels]),
         ("intermediate.dense.weight", [hidden, channels]), ("intermediate.dense.bias", [hidden]),
         ("output.dense.weight", [channels, hidden]), ("output.dense.bias", [channels]),
         ("output.LayerNorm.weight", [channels]), ("output.LayerNorm.bias", [channels])]
    }

    func makeStore(seed: UInt64) throws -> ParameterStore {
        let store = try ParameterStore(layout: layout)
        for (index, entry) in store.entries.enumerated() {
            let values: [Float]
            if entry.name.hasSuffix("LayerNorm.weight") { values = [Float](repeating: 1, count: entry.count) }
            else { values = randomTensor(entry.shape, seed: seed &+ UInt64(index), scale: 0.2).scalars }
            try store.set(entry.name, to: values)
        }
        return store
    }

    var tokens: IndexTensor { try! IndexTensor(shape: [batch, time], indices: (0..<(batch * time)).map { Int32(($0 * 37 + 11) % vocabulary) }) }
    var labels: IndexTensor { try! IndexTensor(shape: [batch, time], indices: (0..<(batch * time)).map { $0 % 5 == 0 ? Int32(($0 * 13) % vocabulary) : Tensor.ignoreIndex }) }
    var attentionMask: IndexTensor { try! IndexTensor(shape: [batch, time], indices: (0..<(batch * time)).map { $0 % time < time - 3 * ($0 / time) ? 1 : 0 }) }

    func linear(_ x: Tensor, _ p: Parameters, _ name: String) throws -> Tensor {
        try x.matmul(try p[name + ".weight"], transposeB: true) + (try p[name + ".bias"])
    }

    func loss(_ p: Parameters, key: RandomKey) throws -> Tensor {
        let table = try p["embeddings.word_embeddings.weight"]
        var x = try Tensor.embedding(table, indices: tokens)
            .layerNorm(weight: try p["embeddings.LayerNorm.weight"], bias: try p["embeddings.LayerNorm.bias"])
        func splitHeads(_ t: Tensor) throws -> Tensor { try t.reshaped([batch, time, heads, channels / heads]).transposed(1, 2) }
        let q = try splitHeads(try linear(x, p, "attention.query")), k = try splitHeads(try linear(x, p, "attention.key"))
        let v = try splitHeads(try linear(x, p, "attention.value"))
        let scores = try q.matmul(k, transposeB: true).scaled(by: 1 / Float(channels / heads).squareRoot())
        let weights = try scores.addingMask(try Tensor.additiveMask(attentionMask: attentionMask)).softmax()
            .dropout(probability: 0.1, key: key.with(stream: 1))
        let context = try weights.matmul(v).transposed(1, 2).reshaped([batch, time, channels])
        x = try x + context
        let mlp = try linear(try linear(x, p, "intermediate.dense").gelu(), p, "output.dense").dropout(probability: 0.1, key: key.with(stream: 2))
        x = try (x + mlp).layerNorm(weight: try p["output.LayerNorm.weight"], bias: try p["output.LayerNorm.bias"])
        let logits = try x.matmul(table, transposeB: true)
        return try Tensor.crossEntropy(logits: logits, targets: labels)
    }
}
