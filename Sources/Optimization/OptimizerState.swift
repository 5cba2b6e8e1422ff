import Tensor

/// What a checkpoint keeps of an optimizer: buffers laid out like the parameters' flat buffer (of
/// its `ownedRange` only, when sharded), each stored as `/optimizer/<slot>/<parameter name>`, and
/// the update count. Checkpointing reads and writes optimizers only through this protocol, so a
/// new optimizer conforms here and touches no checkpoint code.
public protocol OptimizerState: AnyObject {
    /// Named state buffers, in the order they are written ("mu", "nu" for AdamW, optax's names).
    var stateSlots: [(name: String, buffer: FloatBuffer)] { get }
    /// Updates applied so far.
    var stepCount: Int { get set }
    /// The part of the parameters' flat buffer the slots cover.
    var ownedRange: Range<Int> { get }
}

extension AdamW: OptimizerState {
    public var stateSlots: [(name: String, buffer: FloatBuffer)] { [("mu", firstMoment), ("nu", secondMoment)] }
}
