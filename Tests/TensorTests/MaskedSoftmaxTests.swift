import Testing
@testable import Tensor

/// The fused attention-weights primitive is the three primitives it replaces, bit for bit:
/// `maskedSoftmax(scale:mask:)` against `scaled(by:).addingMask(_:).softmax()`, values and gradients.
@Suite struct MaskedSoftmaxTests {
    func weightsAndGradients(_ shape: [Int], mask: Tensor, scale: Float, fused: Bool) throws -> (values: [Float], gradients: [Float]) {
        let store = try ParameterStore(layout: [("scores", shape)])
        try store.set("scores", to: randomTensor(shape, seed: 3, scale: 4).scalars)
        let upstream = randomTensor(shape, seed: 4)
        var values: [Float] = []
        _ = try store.valueWithGradient { p in
            let scores = try p["scores"]
            let weights = fused ? try scores.maskedSoftmax(scale: scale, mask: mask) : try scores.scaled(by: scale).addingMask(mask).softmax()
            values = weights.scalars
            return try (weights * upstream).sum()
        }
        return (values, Array(store.gradients.prefix(shape.reduce(1, *))))
    }

    @Test(arguments: [13, 40])
    func fusedEqualsComposedBitwise(keys: Int) throws {
        // Right padding in row 1; a scale that is not a power of two (head size 24).
        let attention = try IndexTensor(shape: [2, keys], indices: (0..<(2 * keys)).map { $0 >= 2 * keys - 3 ? 0 : 1 })
        let scale = 1 / Float(24).squareRoot()
        for mask in [try Tensor.causalAdditiveMask(attentionMask: attention, queries: keys), try Tensor.additiveMask(attentionMask: attention)] {
            let shape = [2, 3, keys, keys]
            let fused = try weightsAndGradients(shape, mask: mask, scale: scale, fused: true)
            let composed = try weightsAndGradients(shape, mask: mask, scale: scale, fused: false)
            #expect(fused.values.map(\.bitPattern) == composed.values.map(\.bitPattern), "weights, mask \(mask.shape)")
            #expect(fused.gradients.map(\.bitPattern) == composed.gradients.map(\.bitPattern), "gradients, mask \(mask.shape)")
            #expect(fused.gradients.contains { $0 != 0 } && fused.values.contains(0), "non-trivial gradients, masked weights")
        }
    }

    @Test func refusesMasksItCannotBroadcast() throws {
        let scores = Tensor.zeros([2, 3, 4, 4])
        #expect(throws: TensorError.self) { try scores.maskedSoftmax(scale: 1, mask: Tensor.zeros([2, 3, 4, 4])) }
        #expect(throws: TensorError.self) { try scores.maskedSoftmax(scale: 1, mask: Tensor.zeros([1, 1, 4, 4])) }
        #expect(throws: TensorError.self) { try Tensor.zeros([3, 4, 4]).maskedSoftmax(scale: 1, mask: Tensor.zeros([3, 1, 4, 4])) }
    }
}
