import Corpus
import Kernels
import Models
import Tensor

/// Masks token rows for masked-LM as transformers' `DataCollatorForLanguageModeling` does: each
/// non-special token is chosen with probability 15%; a chosen token becomes `<mask>` (80%), a random
/// id of the vocabulary (10%) or stays (10%); labels hold the original id where chosen, -100 elsewhere.
/// Every draw comes from the counter-based generator keyed by (seed, step, device), so a resumed run
/// masks exactly as the uninterrupted one.
public struct MaskedLMCollator: Sendable {
    public var maskProbability = 0.15
    public let vocabularySize: Int
    public let maskID: Int32
    public let specialIDs: Set<Int32>
    public var seed: UInt64

    public init(vocabularySize: Int, maskID: Int32, specialIDs: Set<Int32>, seed: UInt64) {
        (self.vocabularySize, self.maskID, self.specialIDs, self.seed) = (vocabularySize, maskID, specialIDs, seed)
    }

    /// nil when the rows' tokenizer has no mask token.
    public init?(rows: RowVocabulary, seed: UInt64) {
        guard let maskID = rows.maskTokenID else { return nil }
        self.init(vocabularySize: rows.vocabularySize, maskID: maskID, specialIDs: Set(rows.specialTokenIDs), seed: seed)
    }

    /// nil when the rows' tokenizer has no mask token.
    public init?(index: TokenRowsIndex, seed: UInt64) { self.init(rows: RowVocabulary(index), seed: seed) }

    /// The batch for `rows` (`[B][T]`, no padding) at `step` on `device` (micro-batch `micro` of the step).
    public func batch(rows: [[Int32]], step: Int, device: Int, micro: Int = 0) throws -> TokenBatch {
        let key = RandomKey(seed: seed, step: step, device: device, stream: RandomStream.masking + micro)
        var inputs: [[Int32]] = [], labels: [[Int32]] = []
        var element = 0
        for row in rows {
            var input = row, label = [Int32](repeating: ignoredLabel, count: row.count)
            for position in row.indices {
                defer { element += 1 }
                guard !specialIDs.contains(row[position]), key.uniform(at: 4 * element) < maskProbability else { continue }
                label[position] = row[position]
                if key.uniform(at: 4 * element + 1) < 0.8 {
                    input[position] = maskID
                } else if key.uniform(at: 4 * element + 2) < 0.5 {
                    input[position] = Int32(key.uniform(at: 4 * element + 3) * Double(vocabularySize))
                }
            }
            inputs.append(input)
            labels.append(label)
        }
        return try TokenBatch(inputIDs: inputs, attentionMask: inputs.map { $0.map { _ in 1 } }, labels: labels)
    }
}
