import Kernels

/// How much of the training state each MPI rank holds (ZeRO's stages: Rajbhandari et al. 2020,
/// "ZeRO: memory optimizations toward training trillion parameter models", §5).
public enum Sharding: String, CaseIterable, Sendable {
    /// Every rank holds everything (plain data parallelism).
    case replicated
    /// ZeRO-1: each rank keeps the AdamW moments of its own range only.
    case optimizer
    /// ZeRO-2: also the reduced gradients; the rest of the gradient buffer is released after each bucket is sent.
    case gradients
    /// ZeRO-3 / FSDP full shard: also the parameters.
    case parameters

    public var isSharded: Bool { self != .replicated }
}

/// The flat parameter buffer cut into one contiguous range per rank. Boundaries fall on multiples
/// of `block` floats, the blocks in which the gradient norm is summed, so a rank's partial sums are
/// exactly the replicated run's and the norm cannot depend on the number of shards. Ranks past
/// the end of a small buffer own an empty range.
public struct ParameterShards: Equatable, Sendable {
    /// Boundaries fall on multiples of the gradient norm's summation block (`normBlock`).
    public static let block = normBlock

    public let count: Int
    public let ranks: Int
    /// `ranges[r]`: the floats rank r owns.
    public let ranges: [Range<Int>]

    public init(count: Int, ranks: Int) {
        precondition(ranks > 0 && count >= 0)
        let blocks = (count + Self.block - 1) / Self.block
        ranges = (0..<ranks).map { rank in
            let first = blocks * rank / ranks, last = blocks * (rank + 1) / ranks
            return min(count, first * Self.block)..<min(count, last * Self.block)
        }
        self.count = count
        self.ranks = ranks
    }

    /// The pieces of `range` owned by each rank, in rank order (empty where a rank owns none of it).
    public func split(_ range: Range<Int>) -> [Range<Int>] {
        ranges.map { owned in
            let lower = max(owned.lowerBound, range.lowerBound), upper = min(owned.upperBound, range.upperBound)
            return lower < upper ? lower..<upper : range.lowerBound..<range.lowerBound
        }
    }
}
