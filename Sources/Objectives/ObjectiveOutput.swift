import Kernels
import Tensor

// Shape letters: the project's (Sources/Kernels/CallingConvention.swift): N chosen rows (those
// that carry a label), V the vocabulary or L a head's labels.

/// What an objective scored: its loss and the logits of the rows that carry a label.
public struct ObjectiveOutput {
    /// Mean cross-entropy over the labelled rows (differentiable when parameters are recorded).
    public let loss: Tensor
    /// `[N, V]`, one row per labelled token in batch order (detached).
    public let logits: Tensor
    public let targets: [Int32]

    /// `logits` `[N, V]` scored against `targets` by mean cross-entropy.
    public init(scoring logits: Tensor, targets: [Int32]) throws {
        let indices = try IndexTensor(shape: [targets.count], indices: targets)
        (loss, self.logits, self.targets) = (try Tensor.crossEntropy(logits: logits, targets: indices), logits.detached, targets)
    }

    public var labelledCount: Int { targets.count }

    /// Labelled tokens whose highest logit is the label.
    public var correctCount: Int {
        zip(argmaxRows(logits), targets).filter { $0 == $1 }.count
    }
}

/// The column of each row's highest value in `[N, C]` logits (ties go to the lower id, as
/// torch's argmax does).
public func argmaxRows(_ logits: Tensor) -> [Int32] {
    let (rows, columns) = (logits.shape[0], logits.shape[1])
    var best = [Int32](repeating: 0, count: rows)
    logits.withUnsafeBufferPointer { values in
        best.withUnsafeMutableBufferPointer { Kernels.argmaxRows(output: $0.baseAddress!, input: values.baseAddress!, rows: rows, columns: columns) }
    }
    return best
}
