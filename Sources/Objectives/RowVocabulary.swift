import Corpus

/// What an objective may need to know of the tokenizer its rows were prepared with.
public struct RowVocabulary: Sendable {
    public var vocabularySize: Int
    /// nil when the tokenizer has no `<mask>` token (masked LM cannot train on such rows).
    public var maskTokenID: Int32?
    public var specialTokenIDs: [Int32]

    public init(vocabularySize: Int, maskTokenID: Int32?, specialTokenIDs: [Int32]) {
        (self.vocabularySize, self.maskTokenID, self.specialTokenIDs) = (vocabularySize, maskTokenID, specialTokenIDs)
    }

    /// The vocabulary of prepared rows (`bertin prepare`'s index).
    public init(_ index: TokenRowsIndex) {
        self.init(vocabularySize: index.vocabularySize, maskTokenID: index.maskTokenID, specialTokenIDs: index.specialTokenIDs)
    }
}
