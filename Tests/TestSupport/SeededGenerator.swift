import Kernels

/// A seeded generator for tests that draw, so a failure repeats with the same numbers.
public typealias SeededGenerator = SplitMix64
