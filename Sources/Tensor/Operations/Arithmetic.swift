import Kernels

/// Broadcasting elementwise arithmetic (primitives) and scalar arithmetic (one affine primitive).
extension Tensor {
    static func binary(_ operation: BinaryOperation, _ name: String, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let shape = try Broadcasting.shape(a.shape, b.shape, operation: name)
        let output = Tensor.uninitialized(shape)
        if output.scalarCount > 0 {
            let plan = BroadcastPlan(
                shape: shape, stridesA: Broadcasting.strides(of: a.shape, broadcastTo: shape),
                stridesB: Broadcasting.strides(of: b.shape, broadcastTo: shape))
            broadcastBinary(output: output.pointer, a: a.pointer, b: b.pointer, operation: operation, plan: plan)
        }
        // Each pullback captures only what it needs: sums and differences keep shapes, not values
        // (holding the inputs would keep every pre-bias activation alive until backward).
        let (xShape, yShape) = (a.shape, b.shape)
        switch operation {
        case .add:
            return Tape.record(name, output: output, inputs: [a, b]) { gradient, needed in
                [needed[0] ? Broadcasting.reduce(gradient, to: xShape) : nil,
                 needed[1] ? Broadcasting.reduce(gradient, to: yShape) : nil]
            }
        case .subtract:
            return Tape.record(name, output: output, inputs: [a, b]) { gradient, needed in
                [needed[0] ? Broadcasting.reduce(gradient, to: xShape) : nil,
                 needed[1] ? Broadcasting.reduce(try gradient.scaled(by: -1), to: yShape) : nil]
            }
        case .multiply:
            let (x, y) = (a.detached, b.detached)
            return Tape.record(name, output: output, inputs: [a, b]) { gradient, needed in
                [needed[0] ? Broadcasting.reduce(try gradient * y, to: xShape) : nil,
                 needed[1] ? Broadcasting.reduce(try gradient * x, to: yShape) : nil]
            }
        case .divide:
            // d(x/y)/dy = −(x/y)/y
            let y = b.detached, quotient = output.detached
            return Tape.record(name, output: output, inputs: [a, b]) { gradient, needed in
                [needed[0] ? Broadcasting.reduce(try gradient / y, to: xShape) : nil,
                 needed[1] ? Broadcasting.reduce(try (gradient * quotient).scaled(by: -1) / y, to: yShape) : nil]
            }
        }
    }

    public static func + (lhs: Tensor, rhs: Tensor) throws -> Tensor { try binary(.add, "add", lhs, rhs) }
    public static func - (lhs: Tensor, rhs: Tensor) throws -> Tensor { try binary(.subtract, "subtract", lhs, rhs) }
    public static func * (lhs: Tensor, rhs: Tensor) throws -> Tensor { try binary(.multiply, "multiply", lhs, rhs) }
    public static func / (lhs: Tensor, rhs: Tensor) throws -> Tensor { try binary(.divide, "divide", lhs, rhs) }

    /// `self · scale + shift`, elementwise.
    public func scaled(by scale: Float, plus shift: Float = 0) throws -> Tensor {
        let output = Tensor.uninitialized(shape)
        Kernels.affine(output: output.pointer, input: pointer, scale: scale, shift: shift, count: scalarCount)
        return Tape.record("affine", output: output, inputs: [self]) { gradient, _ in
            [try gradient.scaled(by: scale)]
        }
    }

    public static func + (lhs: Tensor, rhs: Float) throws -> Tensor { try lhs.scaled(by: 1, plus: rhs) }
    public static func - (lhs: Tensor, rhs: Float) throws -> Tensor { try lhs.scaled(by: 1, plus: -rhs) }
    public static func * (lhs: Tensor, rhs: Float) throws -> Tensor { try lhs.scaled(by: rhs) }
    public static func / (lhs: Tensor, rhs: Float) throws -> Tensor { try lhs.scaled(by: 1 / rhs) }
    public static func + (lhs: Float, rhs: Tensor) throws -> Tensor { try rhs.scaled(by: 1, plus: lhs) }
    public static func - (lhs: Float, rhs: Tensor) throws -> Tensor { try rhs.scaled(by: -1, plus: lhs) }
    public static func * (lhs: Float, rhs: Tensor) throws -> Tensor { try rhs.scaled(by: lhs) }
    public static prefix func - (operand: Tensor) throws -> Tensor { try operand.scaled(by: -1) }

    /// Adds an additive attention mask (0 where attended, a large negative number where not),
    /// broadcast over the leading axes: the way BERT-style models hide padding from softmax.
    public func addingMask(_ mask: Tensor) throws -> Tensor { try Tensor.binary(.add, "addingMask", self, mask) }

    /// The additive mask for a `[B, T]` 0/1 attention mask, shaped `[B, 1, 1, T]` for scores
    /// `[B, H, T, T]`: 0 where the mask is 1, the lowest Float where it is 0 (as transformers does).
    public static func additiveMask(attentionMask: IndexTensor) throws -> Tensor {
        guard attentionMask.shape.count == 2 else {
            throw TensorError.invalidArgument(operation: "additiveMask", reason: "attention mask must be [B, T], got \(describe(attentionMask.shape))")
        }
        try attentionMask.validate(operation: "additiveMask", in: 0..<2)
        let values = attentionMask.indices.map { $0 == 1 ? Float(0) : -Float.greatestFiniteMagnitude }
        return try Tensor(shape: [attentionMask.shape[0], 1, 1, attentionMask.shape[1]], scalars: values)
    }

    /// The causal and padding mask together, `[B, 1, T, S]` for `T` queries at positions
    /// `S − T ..< S` over `S` keys (`attentionMask` is `[B, S]`; `S > T` when earlier keys come from
    /// a cache): query `i` sees key `j` when `j ≤ S − T + i` and key `j` is not padding, as
    /// transformers' `create_causal_mask`; the lowest Float elsewhere.
    public static func causalAdditiveMask(attentionMask: IndexTensor, queries: Int) throws -> Tensor {
        guard attentionMask.shape.count == 2, (0...attentionMask.shape[1]).contains(queries) else {
            throw TensorError.invalidArgument(operation: "causalAdditiveMask", reason: "attention mask must be [B, S] with S ≥ \(queries) queries, got \(describe(attentionMask.shape))")
        }
        try attentionMask.validate(operation: "causalAdditiveMask", in: 0..<2)
        let (b, s) = (attentionMask.shape[0], attentionMask.shape[1])
        let past = s - queries
        var values = [Float](repeating: 0, count: b * queries * s)
        for row in 0..<b {
            for query in 0..<queries {
                for key in 0..<s where key > past + query || attentionMask.indices[row * s + key] == 0 {
                    values[(row * queries + query) * s + key] = -Float.greatestFiniteMagnitude
                }
            }
        }
        return try Tensor(shape: [b, 1, queries, s], scalars: values)
    }
}
