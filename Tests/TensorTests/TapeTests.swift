import Testing
@testable import Tensor

/// How the tape and the flat parameter store behave: accumulation, tied weights, constants,
/// evaluation without recording, and release of intermediate buffers.
@Suite struct TapeTests {
    func store() throws -> ParameterStore {
        let store = try ParameterStore(layout: [("layer.weight", [3, 2]), ("layer.bias", [3]), ("scale", [1])])
        try store.set("layer.weight", to: [1, -2, 0.5, 3, -1, 2])
        try store.set("layer.bias", to: [0.1, 0.2, 0.3])
        try store.set("scale", to: [2])
        return store
    }

    func objective(_ p: Parameters) throws -> Tensor {
        let x = try Tensor(shape: [4, 2], scalars: [1, 2, 3, 4, 5, 6, 7, 8])
        let y = try x.matmul(try p["layer.weight"], transposeB: true) + (try p["layer.bias"])
        return try (y * (try p["scale"])).tanh().sum()
    }

    @Test func layoutIsOneAlignedBuffer() throws {
        let store = try store()
        #expect(store.entries.map(\.offset) == [0, 16, 32])
        #expect(store.bufferCount == 48)
        #expect(store.parameterCount == 10)
        #expect(Array(store.values[16..<19]) == [0.1, 0.2, 0.3])
        // A value view aliases the flat buffer: writes through the buffer show in the view.
        let bias = try store.value("layer.bias")
        store.values[17] = 9
        #expect(bias.scalars == [0.1, 9, 0.3])
    }

    @Test func gradientsAccumulateAcrossBackwardPasses() throws {
        let store = try store()
        let loss = try store.valueWithGradient(objective)
        let once = Array(store.gradients)
        #expect(once.contains { $0 != 0 })
        _ = try store.valueWithGradient(objective)
        #expect(zip(store.gradients, once).allSatisfy { $0.0 == 2 * $0.1 })
        store.zeroGradients()
        #expect(store.gradients.allSatisfy { $0 == 0 })
        // Evaluation gives the same value and records nothing.
        let value = try store.value(objective)
        #expect(try value.scalar == loss)
        #expect(!value.isDifferentiable)
    }

    @Test func tiedParameterCollectsBothUses() throws {
        let store = try ParameterStore(layout: [("w", [2])])
        try store.set("w", to: [3, -1])
        // f(w) = Σ w·w + Σ w  →  df/dw = 2w + 1
        _ = try store.valueWithGradient { p in try (try p["w"] * p["w"]).sum() + (try p["w"]).sum() }
        #expect(Array(store.gradients.prefix(2)) == [7, -1])
    }

    @Test func constantsGetNoGradientAndUnusedVariablesGetZeros() throws {
        let a = try Tensor(shape: [2], scalars: [1, 2]), unused = try Tensor(shape: [3], scalars: [1, 1, 1])
        let constant = try Tensor(shape: [2], scalars: [5, 7])
        let (value, gradients) = try valueWithGradient(at: [a, unused]) { v in try (v[0] * constant).sum() }
        #expect(try value.scalar == 19)
        #expect(gradients[0].scalars == [5, 7])
        #expect(gradients[1].scalars == [0, 0, 0])
    }

    @Test func withoutRecordingMakesConstants() throws {
        let tape = Tape()
        let x = tape.variable(try Tensor(shape: [2], scalars: [1, 2]))
        let y = try tape.withoutRecording { try x * 3 }
        #expect(!y.isDifferentiable)
        let z = try (x * 3).sum()
        #expect(z.isDifferentiable)
        try tape.backward(from: z)
        #expect(try tape.gradient(of: x).scalars == [3, 3])
    }

    @Test func backwardReleasesIntermediateBuffers() throws {
        weak var intermediate: TensorStorage?
        let tape = Tape()
        let x = tape.variable(randomTensor([64, 64], seed: 1))
        let loss: Tensor = try {
            let hidden = x.gelu()
            intermediate = hidden.storage
            return try hidden.sum()
        }()
        #expect(intermediate != nil, "the tape holds the GELU output until backward")
        try tape.backward(from: loss)
        #expect(intermediate == nil, "backward released it")
    }
}
