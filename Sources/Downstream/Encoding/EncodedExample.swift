/// One model row of a fine-tuning set: its token ids with `<s>`/`</s>`, and the positions whose
/// prediction is read (first sub-tokens of words for token tasks; position 0 for sequence tasks),
/// with the gold label ids there when the file has labels.
public struct EncodedExample: Equatable, Sendable {
    public var ids: [Int32]
    /// Positions in `ids` that are predicted, in order.
    public var positions: [Int]
    /// Gold label id per position (nil for unlabelled input).
    public var labels: [Int32]?
    /// Which sentence or text of the file it comes from.
    public var source: Int
    /// For token tasks: the index in its sentence of each position's word.
    public var words: [Int]
}
