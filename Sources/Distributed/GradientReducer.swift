import CMPI
import Kernels
import Tensor

/// Averages gradients over all devices of the job (pmap's `pmean`), DDP-style: the flat gradient
/// buffer is cut into contiguous buckets in reverse layer order (the first about 1 MiB, the rest up
/// to 25 MiB), and each bucket's in-place non-blocking allreduce starts once backward has finished
/// every parameter in it (and every earlier bucket has started, so all ranks reduce in one order).
public final class GradientReducer {
    public struct Bucket: Equatable, Sendable {
        /// Range of the flat buffer, padding included.
        public let range: Range<Int>
        /// Indices of `ParameterStore.entries` inside.
        public let entries: [Int]
    }

    public let buckets: [Bucket]
    public let runtime: MPIRuntime
    private let bucketOfEntry: [Int]
    private var remaining: [Int] = []
    private var started = 0
    private var requests: [MPI_Request?] = []
    private weak var store: ParameterStore?

    public init(store: ParameterStore, runtime: MPIRuntime = .shared, firstBucketBytes: Int = 1 << 20, bucketBytes: Int = 25 << 20) {
        self.runtime = runtime
        self.store = store
        var buckets: [Bucket] = []
        var current: [Int] = []
        var limit = firstBucketBytes / 4
        func close() {
            guard let last = current.first, let first = current.last else { return }
            let start = store.entries[first].offset
            let end = last + 1 < store.entries.count ? store.entries[last + 1].offset : store.bufferCount
            buckets.append(Bucket(range: start..<end, entries: current))
            current = []
            limit = bucketBytes / 4
        }
        var size = 0
        for index in store.entries.indices.reversed() {
            current.append(index)
            size += store.entries[index].count
            if size >= limit { close(); size = 0 }
        }
        close()
        self.buckets = buckets
        var bucketOfEntry = [Int](repeating: 0, count: store.entries.count)
        for (bucket, description) in buckets.enumerated() { for entry in description.entries { bucketOfEntry[entry] = bucket } }
        self.bucketOfEntry = bucketOfEntry
        reset()
    }

    /// Forget what was started: call before the backward pass that will communicate.
    public func reset() {
        remaining = buckets.map(\.entries.count)
        started = 0
        requests = []
    }

    /// Backward has finished parameter `entry` (index into the store's entries).
    public func parameterReady(_ entry: Int) {
        let bucket = bucketOfEntry[entry]
        remaining[bucket] -= 1
        while started < buckets.count, remaining[started] <= 0 { start(started) }
        runtime.progress(&requests)
    }

    /// Starts what is left, waits for every bucket and divides by `divisor` (the number of
    /// device-level gradients summed: devices × micro-steps).
    public func finish(divisor: Int) {
        while started < buckets.count { start(started) }
        runtime.waitAll(&requests)
        if let store, divisor != 1 {
            Kernels.scale(store.gradients.baseAddress!, count: store.gradients.count, by: 1 / Float(divisor))
        }
        reset()
    }

    private func start(_ bucket: Int) {
        started += 1
        guard runtime.size > 1, let store else { return }
        let range = buckets[bucket].range
        requests.append(runtime.startSum(store.gradients.baseAddress! + range.lowerBound, count: range.count))
    }
}
