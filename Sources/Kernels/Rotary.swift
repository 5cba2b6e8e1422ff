/// Rotary position embedding, GPT-J's interleaved form (`rotate_every_two`): within the first
/// `rotaryDimension` features of each head, pair (x₂ᵢ, x₂ᵢ₊₁) is turned by angle `position · θᵢ`:
/// `(x₂ᵢ cos − x₂ᵢ₊₁ sin, x₂ᵢ₊₁ cos + x₂ᵢ sin)`; later features pass through. Not NeoX's rotate_half.
///
/// Shapes: `x` `[R, H, D]` (R = B·T rows, one position each), `sin`/`cos` `[positions, rotaryDimension / 2]`.

/// `output = rotate(input)` at `positions[r]` for row r.
public func rotaryForward(
    output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, sin: UnsafePointer<Float>, cos: UnsafePointer<Float>,
    positions: UnsafePointer<Int32>, rows: Int, heads: Int, headSize: Int, rotaryDimension: Int
) {
    rotary(output: output, input: input, sin: sin, cos: cos, positions: positions, rows: rows, heads: heads,
           headSize: headSize, rotaryDimension: rotaryDimension, sign: 1, accumulate: false)
}

/// `dinput += rotateᵀ(doutput)`: the transpose of a rotation is the rotation by the negative angle.
public func rotaryBackward(
    dinput: UnsafeMutablePointer<Float>, doutput: UnsafePointer<Float>, sin: UnsafePointer<Float>, cos: UnsafePointer<Float>,
    positions: UnsafePointer<Int32>, rows: Int, heads: Int, headSize: Int, rotaryDimension: Int
) {
    rotary(output: dinput, input: doutput, sin: sin, cos: cos, positions: positions, rows: rows, heads: heads,
           headSize: headSize, rotaryDimension: rotaryDimension, sign: -1, accumulate: true)
}

private func rotary(
    output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, sin: UnsafePointer<Float>, cos: UnsafePointer<Float>,
    positions: UnsafePointer<Int32>, rows: Int, heads: Int, headSize: Int, rotaryDimension: Int, sign: Float, accumulate: Bool
) {
    let half = rotaryDimension / 2
    parallelFor(rows, grain: rowGrain(heads * headSize)) { range in
        for row in range {
            let table = Int(positions[row]) * half
            for head in 0..<heads {
                let base = (row * heads + head) * headSize
                for pair in 0..<half {
                    let (c, s) = (cos[table + pair], sign * sin[table + pair])
                    let (x0, x1) = (input[base + 2 * pair], input[base + 2 * pair + 1])
                    // x·cos + rotate_every_two(x)·sin, as transformers rounds it: each product, then the sum.
                    let y0 = x0 * c + (-x1) * s
                    let y1 = x1 * c + x0 * s
                    if accumulate {
                        output[base + 2 * pair] += y0
                        output[base + 2 * pair + 1] += y1
                    } else {
                        output[base + 2 * pair] = y0
                        output[base + 2 * pair + 1] = y1
                    }
                }
                for feature in rotaryDimension..<headSize {
                    if accumulate { output[base + feature] += input[base + feature] } else { output[base + feature] = input[base + feature] }
                }
            }
        }
    }
}
