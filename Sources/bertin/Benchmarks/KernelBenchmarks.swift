import Dispatch
import Kernels
import Tensor

/// Forward + backward of the transformer's hot operations through the public tensor API (what a
/// model pays), on RoBERTa-base shapes at B·T = 1024 tokens. The FLOP counts are nominal
/// per-element counts, shared with the PyTorch side (Scripts/bench/kernels_torch.py) so
/// that the two rates compare the same work.
enum KernelBenchmarks {
    struct Result: Encodable {
        let operation: String
        let shape: String
        let flops: Double
        let seconds: Double
    }

    static let tokens = 1024, channels = 768, intermediate = 3072, heads = 12, time = 128

    static func all(repetitions: Int) throws -> [Result] {
        var results: [Result] = []
        // Linear layer C → 4C: forward x·Wᵀ, backward dx = dy·W and dW = dyᵀ·x.
        let x = random([tokens, channels]), weight = random([intermediate, channels], scale: 0.05)
        results.append(try measure("matmul", "[\(tokens),\(channels)]x[\(intermediate),\(channels)]^T",
                                   flops: 3 * 2 * Double(tokens * channels * intermediate), repetitions: repetitions,
                                   inputs: [x, weight]) { try $0[0].matmul($0[1], transposeB: true) })
        let ln = random([tokens, channels], scale: 3), gamma = random([channels]), beta = random([channels])
        results.append(try measure("layernorm", "[\(tokens),\(channels)]", flops: Double(tokens * channels) * (7 + 12),
                                   repetitions: repetitions, inputs: [ln, gamma, beta]) { try $0[0].layerNorm(weight: $0[1], bias: $0[2]) })
        let scores = random([tokens / time * heads, time, time], scale: 4)
        results.append(try measure("softmax", "[\(tokens / time * heads),\(time),\(time)]", flops: Double(scores.scalarCount) * (4 + 4),
                                   repetitions: repetitions, inputs: [scores]) { try $0[0].softmax() })
        let hidden = random([tokens, intermediate], scale: 3)
        results.append(try measure("gelu", "[\(tokens),\(intermediate)]", flops: Double(hidden.scalarCount) * (8 + 14),
                                   repetitions: repetitions, inputs: [hidden]) { $0[0].gelu() })
        return results
    }

    static func random(_ shape: [Int], scale: Float = 1) -> Tensor {
        var values = [Float](repeating: 0, count: shape.reduce(1, *))
        values.withUnsafeMutableBufferPointer { fillUniform($0.baseAddress!, count: $0.count, key: RandomKey(seed: 17)) }
        return try! Tensor(shape: shape, scalars: values.map { ($0 * 2 - 1) * scale })
    }

    /// Median wall time of forward + backward (seeded with an upstream gradient of ones).
    static func measure(
        _ operation: String, _ shape: String, flops: Double, repetitions: Int, inputs: [Tensor],
        body: ([Tensor]) throws -> Tensor
    ) throws -> Result {
        let outputShape = try body(inputs).shape
        let seed = Tensor(repeating: 1, shape: outputShape)
        var times: [Double] = []
        for repetition in 0..<(repetitions + 2) {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try valueWithGradient(at: inputs, seed: seed, of: body)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if repetition >= 2 { times.append(elapsed) }  // two warm-up runs
        }
        return Result(operation: operation, shape: shape, flops: flops, seconds: times.sorted()[times.count / 2])
    }
}
