import Tensor

/// What a language-model head produced for the tokens that carry a label.
public struct LanguageModelOutput {
    /// Mean cross-entropy over the labelled tokens (differentiable when parameters are recorded).
    public let loss: Tensor
    /// `[N, V]`, one row per labelled token in batch order.
    public let logits: Tensor
    public let targets: [Int32]

    public var labelledCount: Int { targets.count }

    /// Labelled tokens whose highest logit is the label (ties go to the lower id, as argmax does).
    public var correctCount: Int {
        let vocabulary = logits.shape[1]
        return logits.withUnsafeBufferPointer { values in
            targets.indices.filter { row in
                let start = row * vocabulary
                var best = 0
                for column in 1..<vocabulary where values[start + column] > values[start + best] { best = column }
                return best == Int(targets[row])
            }.count
        }
    }
}
