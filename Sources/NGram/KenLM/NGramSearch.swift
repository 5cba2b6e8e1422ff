/// What the scorer reads of one stored n-gram: its log10 probability and backoff, and kenlm's
/// "independent left" flag (no longer n-gram ends with this one, so the search can stop).
struct NGramEntry {
    var probability: Float
    var backoff: Float
    var independentLeft: Bool
}

/// A kenlm search structure, walked as kenlm walks it: from the word being scored back through its
/// context, one word per step. `Node` carries the position between steps (a hash for probing
/// tables, a range of the next level for tries).
protocol NGramSearch {
    associatedtype Node
    var order: Int { get }
    /// The word's id, 0 (`<unk>`) when the vocabulary lacks it.
    func index(ofWord bytes: UnsafeRawBufferPointer) -> UInt32
    func unigram(_ word: UInt32) -> (entry: NGramEntry, node: Node)
    /// Extends the n-gram of `orderMinus2 + 1` words at `node` by the word before it.
    func middle(_ orderMinus2: Int, _ word: UInt32, node: inout Node) -> NGramEntry?
    /// The probability of the n-gram of full order: the one at `node` extended by `word`.
    func longest(_ word: UInt32, node: Node) -> Float?
}

extension NGramSearch {
    func index(ofWord text: String) -> UInt32 {
        var text = text
        return text.withUTF8 { index(ofWord: UnsafeRawBufferPointer($0)) }
    }
}

extension KenLMBinaryHeader {
    /// kenlm's `HasExtension`: a backoff of exactly −0.0 marks an n-gram that no longer n-gram
    /// continues, so the scoring state may forget it (any other value, +0.0 included, keeps it).
    @inline(__always)
    static func hasExtension(_ backoff: Float) -> Bool { backoff.bitPattern != (-0.0 as Float).bitPattern }
}
