import Tensor

/// Where a transformers parameter lives in a Flax state dict, by the rule transformers' own
/// PyTorch ↔ Flax conversion follows: the dotted name becomes a path; a LayerNorm weight is
/// `scale`, an embedding table's weight is `embedding`, and a Linear's `[out, in]` weight is the
/// `[in, out]` `kernel`; biases keep their name.
struct FlaxParameterPath: Equatable {
    let path: String
    /// The Flax array is the transpose of our tensor (a kernel).
    let transposed: Bool

    init(name: String, shape: [Int], role: ParameterRole?) throws {
        var parts = name.split(separator: ".").map(String.init)
        guard let last = parts.last else { throw InteropError.invalidFile(path: name, reason: "an empty parameter name") }
        transposed = last == "weight" && role != .normalizationScale && !Self.isEmbedding(parts) && shape.count == 2
        switch last {
        case "weight" where role == .normalizationScale: parts[parts.count - 1] = "scale"
        case "weight" where Self.isEmbedding(parts): parts[parts.count - 1] = "embedding"
        case "weight" where shape.count == 2: parts[parts.count - 1] = "kernel"
        case "bias": break
        default: throw InteropError.invalidFile(path: name, reason: "has no Flax name (a \(shape.count)-dimensional \(last))")
        }
        path = parts.joined(separator: "/")
    }

    /// An embedding table's module: `word_embeddings`, `position_embeddings`, … (RoBERTa), `wte` (GPT-J).
    static func isEmbedding(_ parts: [String]) -> Bool {
        guard parts.count >= 2 else { return false }
        let module = parts[parts.count - 2]
        return module.hasSuffix("embeddings") || module == "wte"
    }

    /// The Flax array's shape for our tensor's.
    func flaxShape(_ shape: [Int]) -> [Int] { transposed ? shape.reversed() : shape }
}

/// Transposes a row-major `[rows, columns]` matrix.
func transpose(_ values: [Float], rows: Int, columns: Int) -> [Float] {
    var result = [Float](repeating: 0, count: values.count)
    for r in 0..<rows { for c in 0..<columns { result[c * rows + r] = values[r * columns + c] } }
    return result
}
