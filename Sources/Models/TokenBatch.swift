import Kernels
import Tensor

/// transformers' label for "nothing to predict here": PyTorch's cross-entropy ignore index, which
/// every objective's loss skips.
public let ignoredLabel: Int32 = Tensor.ignoreIndex

/// One batch of token rows for a language model: token ids, which tokens attention may look at,
/// and the labels (`ignoredLabel`, -100, where nothing is predicted). All three are `[B, T]`. For
/// masked LM a label sits at the position it predicts; for causal LM labels are the inputs
/// (transformers' convention) and the model shifts them: position t predicts label t + 1.
public struct TokenBatch: Equatable, Sendable {
    public let inputIDs: IndexTensor
    public let attentionMask: IndexTensor
    public let labels: IndexTensor

    public init(inputIDs: IndexTensor, attentionMask: IndexTensor, labels: IndexTensor) throws {
        guard inputIDs.shape.count == 2 else {
            throw ModelError.invalidBatch("input_ids must be [batch, time], got \(inputIDs.shape)")
        }
        guard attentionMask.shape == inputIDs.shape, labels.shape == inputIDs.shape else {
            throw ModelError.invalidBatch(
                "input_ids \(inputIDs.shape), attention_mask \(attentionMask.shape) and labels \(labels.shape) must have one shape")
        }
        guard attentionMask.indices.allSatisfy({ $0 == 0 || $0 == 1 }) else {
            throw ModelError.invalidBatch("attention_mask holds values other than 0 and 1")
        }
        self.inputIDs = inputIDs
        self.attentionMask = attentionMask
        self.labels = labels
    }

    /// A batch from lists of rows, as `bertin eval` reads them from JSON.
    public init(inputIDs: [[Int32]], attentionMask: [[Int32]]? = nil, labels: [[Int32]]) throws {
        let time = inputIDs.first?.count ?? 0
        guard !inputIDs.isEmpty, time > 0 else { throw ModelError.invalidBatch("input_ids holds no tokens") }
        for (name, rows) in [("input_ids", inputIDs), ("attention_mask", attentionMask ?? inputIDs), ("labels", labels)] {
            guard rows.count == inputIDs.count else {
                throw ModelError.invalidBatch("\(name) has \(rows.count) rows, input_ids has \(inputIDs.count)")
            }
            if let row = rows.firstIndex(where: { $0.count != time }) {
                throw ModelError.invalidBatch("\(name) row \(row) has \(rows[row].count) tokens, row 0 of input_ids has \(time)")
            }
        }
        let shape = [inputIDs.count, time]
        try self.init(
            inputIDs: try IndexTensor(shape: shape, indices: inputIDs.flatMap { $0 }),
            attentionMask: try IndexTensor(shape: shape, indices: (attentionMask ?? inputIDs.map { $0.map { _ in 1 } }).flatMap { $0 }),
            labels: try IndexTensor(shape: shape, indices: labels.flatMap { $0 }))
    }

    public var batchSize: Int { inputIDs.shape[0] }
    public var time: Int { inputIDs.shape[1] }

    /// Flat positions (`b·T + t`) of the tokens that carry a label, in order.
    public var labelledPositions: [Int32] {
        labels.indices.indices.filter { labels.indices[$0] != ignoredLabel }.map { Int32($0) }
    }
}

extension TokenBatch: Decodable {
    enum CodingKeys: String, CodingKey {
        case inputIDs = "input_ids", attentionMask = "attention_mask", labels
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            inputIDs: try c.decode([[Int32]].self, forKey: .inputIDs),
            attentionMask: try c.decodeIfPresent([[Int32]].self, forKey: .attentionMask),
            labels: try c.decode([[Int32]].self, forKey: .labels))
    }
}
