import Foundation
import Kernels

/// GPT-J's sin/cos tables (transformers' `create_sinusoidal_positions`), in Float32 as there:
/// `θᵢ = 1 / 10000^(2i / rotaryDimension)`, angle `position · θᵢ`, `[positions, rotaryDimension / 2]` each.
public struct RotaryTable: Sendable {
    public let rotaryDimension: Int
    public let positions: Int
    let sin: [Float]
    let cos: [Float]

    public init(rotaryDimension: Int, positions: Int) {
        let half = rotaryDimension / 2
        let inverseFrequencies = (0..<half).map { 1 / Foundation.pow(Float(10000), Float(2 * $0) / Float(rotaryDimension)) }
        var sin = [Float](repeating: 0, count: positions * half), cos = sin
        for position in 0..<positions {
            for pair in 0..<half {
                let angle = Float(position) * inverseFrequencies[pair]
                sin[position * half + pair] = Foundation.sin(angle)
                cos[position * half + pair] = Foundation.cos(angle)
            }
        }
        (self.rotaryDimension, self.positions, self.sin, self.cos) = (rotaryDimension, positions, sin, cos)
    }
}

extension Tensor {
    /// Rotary position embedding on `[B, T, H, D]` (primitive): the first `table.rotaryDimension`
    /// features of every head turned in interleaved pairs by the angle of the token's position;
    /// `positions` is `[B, T]`.
    public func rotaryEmbedding(positions: IndexTensor, table: RotaryTable) throws -> Tensor {
        guard rank == 4, positions.shape == [shape[0], shape[1]] else {
            throw TensorError.shapeMismatch(operation: "rotaryEmbedding", shapes: [shape, positions.shape],
                                            reason: "input must be [B, T, H, D] and positions [B, T]")
        }
        guard table.rotaryDimension % 2 == 0, table.rotaryDimension <= shape[3] else {
            throw TensorError.invalidArgument(operation: "rotaryEmbedding", reason: "rotary dimension \(table.rotaryDimension) must be even and at most the head size \(shape[3])")
        }
        try positions.validate(operation: "rotaryEmbedding", in: 0..<table.positions)
        let (rows, heads, headSize, rotary) = (shape[0] * shape[1], shape[2], shape[3], table.rotaryDimension)
        let output = Tensor.uninitialized(shape)
        let ids = positions.indices
        table.sin.withUnsafeBufferPointer { sin in
            table.cos.withUnsafeBufferPointer { cos in
                ids.withUnsafeBufferPointer { ids in
                    rotaryForward(output: output.pointer, input: pointer, sin: sin.baseAddress!, cos: cos.baseAddress!, positions: ids.baseAddress!,
                                  rows: rows, heads: heads, headSize: headSize, rotaryDimension: rotary)
                }
            }
        }
        let inputShape = shape
        return Tape.record("rotaryEmbedding", output: output, inputs: [self]) { gradient, _ in
            let result = Tensor.zeros(inputShape)
            table.sin.withUnsafeBufferPointer { sin in
                table.cos.withUnsafeBufferPointer { cos in
                    ids.withUnsafeBufferPointer { ids in
                        rotaryBackward(dinput: result.pointer, doutput: gradient.pointer, sin: sin.baseAddress!, cos: cos.baseAddress!,
                                       positions: ids.baseAddress!, rows: rows, heads: heads, headSize: headSize, rotaryDimension: rotary)
                    }
                }
            }
            return [result]
        }
    }
}
