import Kernels

extension RandomStream {
    /// Which documents `bertin prepare` holds out for evaluation.
    public static let holdOut = 0xE7A1
    /// `bertin prepare`'s shuffle buffer.
    public static let shuffle = 0x5F1E
    /// Perplexity sampling's one draw per document.
    public static let sampling = 0x5A3D
}
