import Downstream
import Models
import Objectives
import Tensor
import Training

/// Eval-mode predictions of a classification head: the arg-max label (the lowest id on ties, as
/// torch's argmax) at every predicted position of every example.
public enum ClassificationPrediction {
    public static func predict(_ model: any ClassificationModel, parameters: ParameterStore, examples: [EncodedExample],
                               batchSize: Int, paddingID: Int32) throws -> [[Int32]] {
        var output: [[Int32]] = []
        for start in stride(from: 0, to: examples.count, by: max(1, batchSize)) {
            let chunk = Array(examples[start..<min(start + max(1, batchSize), examples.count)])
            let batch = try paddedBatch(chunk, paddingID: paddingID)
            let positions = chunk.enumerated().flatMap { row, example in example.positions.map { Int32(row * batch.time + $0) } }
            let logits = try parameters.value { p in
                try model.logits(p, inputIDs: batch.inputIDs, attentionMask: batch.attentionMask, positions: positions, mode: .evaluation)
            }
            let best = argmaxRows(logits)
            var offset = 0
            for example in chunk {
                output.append(Array(best[offset..<(offset + example.positions.count)]))
                offset += example.positions.count
            }
        }
        return output
    }
}
