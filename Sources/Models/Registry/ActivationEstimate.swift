/// How much memory a training step of a language model takes besides its parameters, for
/// `bertin plan`: floats the autodiff tape holds at its peak during one forward and backward of one
/// device's micro-batch, recording everything or recomputing each block, and the parameters of
/// one block (what ZeRO-3 gathers at a time).
///
/// The families' formulas were fitted to the tape's measured peak (`TensorBufferCache` peak live
/// bytes) over a grid of batch, length, width, heads, depth and vocabulary, and agree with it to
/// within 4% (recording) and 3% (recomputing) across that grid; `ActivationEstimateTests` checks
/// configurations outside it.
public struct ActivationEstimate: Equatable, Sendable {
    public var recordedFloats: Int
    public var recomputedFloats: Int
    public var blockCount: Int
    public var blockParameters: Int

    public init(recordedFloats: Int, recomputedFloats: Int, blockCount: Int, blockParameters: Int) {
        (self.recordedFloats, self.recomputedFloats, self.blockCount, self.blockParameters) = (recordedFloats, recomputedFloats, blockCount, blockParameters)
    }
}

/// Sizes of one device's micro-batch in a model's terms.
struct ActivationShape {
    let batch: Int, length: Int, width: Int, inner: Int, heads: Int
    /// B·T·C, B·T·F and B·H·T² floats.
    var tokens: Int { batch * length * width }
    var innerTokens: Int { batch * length * inner }
    var scores: Int { batch * heads * length * length }
}
