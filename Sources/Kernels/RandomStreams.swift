/// Every named stream of the counter-based generator, in one list, so no two uses of one seed
/// draw the same numbers by accident. A `RandomKey` is (seed, step, device, stream); the values are
/// fixed forever: changing one changes every run that depends on it (and breaks bitwise resume of
/// runs saved before).
public enum RandomStream {
    /// Dropout: a forward pass uses streams `dropoutBase + micro·sites ..< + sites`, one per site.
    public static let dropoutBase = 0
    /// Masked-LM masking of micro-batch `micro`: `masking + micro`.
    public static let masking = 0xC011
    /// The loader's per-epoch row order.
    public static let epochOrder = 0xB47C
    /// Which documents `bertin prepare` holds out for evaluation.
    public static let holdOut = 0xE7A1
    /// `bertin prepare`'s shuffle buffer.
    public static let shuffle = 0x5F1E
    /// Perplexity sampling's one draw per document.
    public static let sampling = 0x5A3D
    /// Sampling in `bertin generate` (one draw per new token: the step counts tokens).
    public static let generation = 0x6E7E
    /// Synthetic batches of `bertin bench train`.
    public static let benchmarkBatches = 77
}

/// Seeds derived from a run's seed, one per consumer, named once.
public enum RunSeed {
    /// Row order of phase `phase`.
    public static func loader(_ seed: UInt64, phase: Int) -> UInt64 { seed &+ UInt64(phase) }
    /// Training-batch collation (masking) of phase `phase`.
    public static func collator(_ seed: UInt64, phase: Int) -> UInt64 { seed &+ 0x10_000 &+ UInt64(phase) }
    /// Evaluation-batch collation: fixed for the whole run, so every evaluation sees the same batches.
    public static func evaluation(_ seed: UInt64) -> UInt64 { seed ^ 0xE7A1_0000 }
}
