import Testing
@testable import Tensor

/// Wrong shapes and indices throw errors that name the operation and the shapes: no crash, no
/// silent wrong answer.
@Suite struct BadInputTests {
    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    @Test func broadcastMismatchNamesOpAndShapes() {
        let text = message { _ = try Tensor.zeros([2, 3]) + Tensor.zeros([4]) }
        #expect(text == "add: shapes [2, 3] and [4] do not fit: axis 1 of the broadcast has sizes 3 and 4")
    }

    @Test func matmulInnerMismatch() {
        let text = message { _ = try Tensor.matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 5])) }
        #expect(text == "matmul: shapes [2, 3] and [4, 5] do not fit: inner sizes 3 and 4 differ")
    }

    @Test func matmulBatchMismatchAndRank() {
        #expect(message { _ = try Tensor.matmul(Tensor.zeros([2, 3, 4]), Tensor.zeros([3, 4, 5])) }
            == "matmul: shapes [2, 3, 4] and [3, 4, 5] do not fit: batch axes [2] and [3] differ")
        #expect(message { _ = try Tensor.matmul(Tensor.zeros([3]), Tensor.zeros([3, 5])) }
            == "matmul: shapes [3] and [3, 5] do not fit: both operands need at least two axes")
    }

    @Test func embeddingIndexOutOfRange() {
        let text = message {
            _ = try Tensor.embedding(Tensor.zeros([10, 4]), indices: try IndexTensor(shape: [3], indices: [1, 10, 2]))
        }
        #expect(text == "embedding: index 10 is outside 0..<10")
        #expect(message { _ = try Tensor.embedding(Tensor.zeros([10, 4]), indices: try IndexTensor(shape: [1], indices: [-1])) }
            == "embedding: index -1 is outside 0..<10")
    }

    @Test func crossEntropyTargetsChecked() {
        #expect(message { _ = try Tensor.crossEntropy(logits: Tensor.zeros([2, 5]), targets: try IndexTensor(shape: [2], indices: [5, 0])) }
            == "crossEntropy: index 5 is outside 0..<5")
        #expect(message { _ = try Tensor.crossEntropy(logits: Tensor.zeros([2, 5]), targets: try IndexTensor(shape: [3], indices: [1, 2, 3])) }
            == "crossEntropy: shapes [2, 5] and [3] do not fit: targets must have the logits' shape without its last (class) axis")
    }

    @Test func crossEntropyWithEveryLabelIgnoredIsNaNAsInPyTorch() throws {
        let loss = try Tensor.crossEntropy(logits: Tensor.zeros([2, 5]), targets: try IndexTensor(shape: [2], indices: [-100, -100]))
        #expect(try loss.scalar.isNaN)
    }

    @Test func layoutErrors() {
        #expect(message { _ = try Tensor.zeros([2, 3]).reshaped([4, 2]) } == "reshape: shapes [2, 3] and [4, 2] do not fit: element counts differ")
        #expect(message { _ = try Tensor.zeros([2, 3]).permuted([0, 0]) } == "permute: [0, 0] is not a permutation of the axes of [2, 3]")
        #expect(message { _ = try Tensor.zeros([2, 3]).slice(alongAxis: 1, 2..<4) } == "slice: range 2..<4 is outside axis 1 of [2, 3]")
        #expect(message { _ = try Tensor.zeros([2, 3]).sum(alongAxis: 2) } == "sum: axis 2 is outside a tensor of shape [2, 3]")
        #expect(message { _ = try Tensor.concatenate([Tensor.zeros([2, 3]), Tensor.zeros([2, 4])], alongAxis: 0) }
            == "concatenate: shapes [2, 3] and [2, 4] do not fit: all axes but 0 must agree")
    }

    @Test func layerNormParameterShapes() {
        #expect(message { _ = try Tensor.zeros([2, 3]).layerNorm(weight: Tensor.zeros([4]), bias: Tensor.zeros([3])) }
            == "layerNorm: shapes [2, 3] and [4] and [3] do not fit: weight and bias must both be [3], the input's last axis")
    }

    @Test func constructionAndStoreErrors() throws {
        #expect(message { _ = try Tensor(shape: [2, 2], scalars: [1, 2, 3]) }
            == "Tensor(shape:scalars:): shape [2, 2] holds 4 elements but 3 were given")
        #expect(message { _ = try Tensor.zeros([2]).dropout(probability: 1, key: .init(seed: 0)) }
            == "dropout: probability 1.0 is outside [0, 1)")
        let store = try ParameterStore(layout: [("w", [2, 2])])
        #expect(message { _ = try store.value("missing") } == "ParameterStore: no parameter named missing")
        #expect(message { try store.set("w", to: [1]) } == "ParameterStore.set: shapes [2, 2] and [1] do not fit: w holds 4 values")
        #expect(message { _ = try ParameterStore(layout: [("w", [1]), ("w", [2])]) } == "ParameterStore: parameter w appears twice")
    }

    @Test func backwardNeedsScalarOrSeed() {
        #expect(message { _ = try valueWithGradient(at: [Tensor.zeros([3])]) { try $0[0] * 2 } }
            == "backward: output of shape [3] is not a scalar: pass a seed")
    }
}
