import Kernels

extension RandomStream {
    /// The loader's per-epoch row order.
    public static let epochOrder = 0xB47C
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
