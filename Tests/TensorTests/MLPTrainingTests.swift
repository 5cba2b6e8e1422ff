import Foundation
import Testing
@testable import Tensor

/// A 2-layer MLP trained by the tape with plain SGD follows PyTorch's loss curve step for step
/// (fixture: Scripts/reference/make-mlp-fixture.py, float32 on both sides).
@Suite struct MLPTrainingTests {
    struct Fixture: Decodable {
        let inputs: TensorFixture
        let targets: [Int32]
        let learningRate: Float
        let initial: [String: TensorFixture]
        let final: [String: TensorFixture]
        let losses: [Float]
    }

    @Test func matchesPyTorchLossCurve() throws {
        let fixture = try Fixtures.load(Fixture.self, "mlp.json")
        // PyTorch's nn.Sequential names: 0 = first Linear, 2 = second Linear.
        let names = ["0.weight", "0.bias", "2.weight", "2.bias"]
        let store = try ParameterStore(layout: names.map { ($0, fixture.initial[$0]!.shape) })
        for name in names { try store.set(name, to: fixture.initial[name]!.data) }
        let inputs = try fixture.inputs.tensor
        let targets = try IndexTensor(shape: [fixture.targets.count], indices: fixture.targets)

        var losses: [Float] = []
        for _ in fixture.losses.indices {
            store.zeroGradients()
            let loss = try store.valueWithGradient { p in
                let hidden = try (try inputs.matmul(try p["0.weight"], transposeB: true) + (try p["0.bias"])).tanh()
                let logits = try hidden.matmul(try p["2.weight"], transposeB: true) + (try p["2.bias"])
                return try Tensor.crossEntropy(logits: logits, targets: targets)
            }
            losses.append(loss)
            for i in 0..<store.bufferCount { store.values[i] -= fixture.learningRate * store.gradients[i] }
        }
        // Two float32 implementations summing in different orders drift apart by rounding only.
        let (ratio, difference) = closeness(losses, fixture.losses, relative: 1e-4, absolute: 1e-6)
        #expect(ratio <= 1, "loss curves differ by up to \(difference)")
        #expect(abs(losses.last! - fixture.losses.last!) < 1e-5, "final loss \(losses.last!) vs PyTorch \(fixture.losses.last!)")
        #expect(losses.last! < 0.5 * losses.first!, "the network learned")
        for name in names {
            let (ratio, difference) = closeness(try store.value(name).scalars, fixture.final[name]!.data, relative: 1e-4, absolute: 1e-5)
            #expect(ratio <= 1, "\(name) differs from PyTorch's by up to \(difference)")
        }
    }
}
