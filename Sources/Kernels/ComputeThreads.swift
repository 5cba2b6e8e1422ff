import CBLAS
import Dispatch
import Foundation

/// How many threads the kernels (ours and OpenBLAS's) may use.
///
/// Our kernels cut work into pieces whose results do not depend on how many threads run them: a
/// thread owns whole rows or whole column ranges, and any sum across pieces is taken in a fixed
/// order, so they give the same bits at any thread count. OpenBLAS's sgemm does not on every core:
/// measured on GPT-J's and RoBERTa's shapes, its SkylakeX/Cooperlake kernel gives the same bits at
/// 1 and 2 threads, its Haswell and Zen kernels differ in 4-6% of the values. At one thread count
/// its products repeat exactly, and a device's shapes do not depend on the layout, so every layout
/// gives the same bits when every rank runs the same thread count.
public enum ComputeThreads {
    /// Set on first use, and OpenBLAS told, so `BERTIN_THREADS` governs both from the start.
    nonisolated(unsafe) private static var current: Int = {
        let count = defaultCount
        openblas_set_num_threads(Int32(count))
        return count
    }()

    /// All cores, unless `BERTIN_THREADS` says otherwise.
    public static var defaultCount: Int {
        if let text = ProcessInfo.processInfo.environment["BERTIN_THREADS"], let value = Int(text), value > 0 {
            return value
        }
        return ProcessInfo.processInfo.activeProcessorCount
    }

    /// The thread count in force; setting it also sets OpenBLAS's.
    public static var count: Int {
        get { current }
        set {
            current = max(1, newValue)
            openblas_set_num_threads(Int32(current))
        }
    }

    /// Our kernels' count alone, OpenBLAS's left as it is: for tests of our kernels' partitioning
    /// that run beside other tests in one process. OpenBLAS's own products are not bitwise equal
    /// across thread counts on every core (its Zen kernels at 1 and 2 threads differ on GPT-J's
    /// shapes), so changing its count would change the bits of whatever else is running.
    static func setOwnKernelThreads(_ threads: Int) {
        current = max(1, threads)
    }

    /// Applies the default once, before the first kernel runs.
    public static func configure(threads: Int? = nil) {
        count = threads ?? defaultCount
    }
}

/// The least work worth handing to another thread, in floats streamed once: waking workers through
/// `concurrentPerform` costs a few microseconds, about the time one core takes to stream 8,192
/// floats through a simple loop, so smaller pieces stay on the calling thread. Every kernel splits
/// by it (`rowGrain` for rows); kernels with heavier work per float (exponentials, Philox) split
/// no later than they could, which costs nothing measurable. No result depends on it: each
/// piece's work is independent of where the pieces are cut.
public let parallelGrain = 8192

/// Rows of `width` floats that make one `parallelGrain` (at least one row).
@inline(__always)
public func rowGrain(_ width: Int) -> Int { max(1, parallelGrain / max(width, 1)) }

/// The column block of the deterministic column sums (LayerNorm's parameter gradients, embedding
/// gradients, sums over a middle axis): one thread owns each block of 64 columns and walks every
/// row in order, so its sums have the same order at any thread count, and a block's 64 running
/// sums (256 bytes, four cache lines) stay in L1 while it walks.
public let columnBlock = 64

/// Runs `body` over `0..<count` cut into at most `ComputeThreads.count` contiguous ranges, none
/// smaller than `grain` items (small jobs stay on the calling thread).
@inline(__always)
public func parallelFor(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let threads = ComputeThreads.count
    let pieces = min(threads, max(1, count / max(1, grain)))
    if pieces <= 1 {
        body(0..<count)
        return
    }
    DispatchQueue.concurrentPerform(iterations: pieces) { piece in
        let start = piece * count / pieces
        let end = (piece + 1) * count / pieces
        if start < end { body(start..<end) }
    }
}
