import CMPI
import Dispatch
import Kernels
import Tensor

/// Averages gradients over all devices of the job (pmap's `pmean`), with the same result for every
/// layout of devices on ranks.
///
/// Each device's Float32 gradient is added into a Double accumulator, and ranks sum those Doubles:
/// a sum of a few Float32 values is (nearly always) exact in Double, so the order of the sums (local
/// devices first or MPI first, whatever MPI's algorithm) does not change the result; it is rounded
/// to Float32 once, after dividing. Communication is DDP-style: the accumulator is cut into
/// contiguous buckets in reverse layer order (about 1 MiB first, then up to 25 MiB), and a bucket's
/// in-place non-blocking allreduce starts as soon as the last backward of the step has finished every
/// parameter in it and every earlier bucket has started, so all ranks reduce buckets in one order.
///
/// Sharded (ZeRO stage 1 and up, `shards` given): a bucket is reduce-scattered instead, so each rank
/// receives the sums of its own range only (the same Double sums, rounded the same way). With one
/// device per rank no full Double accumulator exists: each bucket is staged in Double just for its
/// transfer, with at most `stagingLimit` bytes in flight. With `releasesGradients` (stage 2) a
/// bucket's Float32 gradients are released as soon as they are staged, and only the owned range is
/// written back.
public final class GradientReducer {
    public struct Bucket: Equatable, Sendable {
        /// Range of the flat buffer, padding included.
        public let range: Range<Int>
        /// Indices of `ParameterStore.entries` inside.
        public let entries: [Int]
    }

    public let buckets: [Bucket]
    /// nil: a single process, nothing to communicate.
    public let runtime: MPIRuntime?
    private let bucketOfEntry: [Int]
    /// Empty when the job has a single device: there is nothing to average then.
    private let accumulator: UnsafeMutableBufferPointer<Double>
    private var remaining: [Int] = []
    private var started = 0
    private var requests: [MPI_Request?] = []
    /// Seconds the last `finish` spent blocked in MPI_Waitall: communication the backward pass did not hide.
    public private(set) var lastWaitSeconds = 0.0
    private unowned let store: ParameterStore
    /// Sharded: every rank's range, and this rank's received sums.
    public let shards: ParameterShards?
    private let releasesGradients: Bool
    private let ownedSums: UnsafeMutableBufferPointer<Double>
    private let stagingLimit: Int
    /// Per started bucket, parallel to `requests`: its Double staging (freed once sent) and its counts.
    private var transfers: [(staging: UnsafeMutableBufferPointer<Double>?, counts: UnsafeMutableBufferPointer<Int32>)] = []
    private var stagedBytes = 0

    /// `devices`: all replicas of the job; with one, no Double accumulator is allocated (a single
    /// device's gradient needs no averaging across devices). `shards` (with a runtime of more than
    /// one rank): reduce-scatter to the owners instead of allreduce.
    /// The size buckets grow to (PyTorch DDP's default), and the Double staging it lets be in flight
    /// (two buckets' worth of Floats as Doubles): what `bertin plan` counts.
    public static let bucketBytes = 25 << 20, stagingBytes = 2 * bucketBytes

    public init(store: ParameterStore, runtime: MPIRuntime?, devices: Int, shards: ParameterShards? = nil, releasesGradients: Bool = false,
                firstBucketBytes: Int = 1 << 20, bucketBytes: Int = GradientReducer.bucketBytes) {
        self.runtime = runtime
        self.store = store
        let sharded = (runtime?.size ?? 1) > 1 ? shards : nil
        self.shards = sharded
        self.releasesGradients = sharded != nil && releasesGradients
        stagingLimit = 2 * bucketBytes
        var buckets: [Bucket] = []
        var current: [Int] = []
        var limit = firstBucketBytes / 8
        var size = 0
        func close() {
            guard let last = current.first, let first = current.last else { return }
            let start = store.entries[first].offset
            let end = last + 1 < store.entries.count ? store.entries[last + 1].offset : store.bufferCount
            buckets.append(Bucket(range: start..<end, entries: current))
            current = []
            size = 0
            limit = bucketBytes / 8
        }
        for index in store.entries.indices.reversed() {
            current.append(index)
            size += store.entries[index].count
            if size >= limit { close() }
        }
        close()
        self.buckets = buckets
        var bucketOfEntry = [Int](repeating: 0, count: store.entries.count)
        for (bucket, description) in buckets.enumerated() { for entry in description.entries { bucketOfEntry[entry] = bucket } }
        self.bucketOfEntry = bucketOfEntry
        // The full accumulator sums local devices; a sharded rank with one device stages per bucket.
        let devicesPerRank = devices / max(1, runtime?.size ?? 1)
        let needsAccumulator = devices > 1 && (sharded == nil || devicesPerRank > 1)
        accumulator = .allocate(capacity: needsAccumulator ? store.bufferCount : 0)  // zeroed by reset()
        let owned = sharded.map { $0.ranges[runtime!.rank].count } ?? 0
        ownedSums = .allocate(capacity: max(1, owned))
        reset()
    }

    deinit {
        if accumulator.count > 0 { accumulator.deallocate() }
        ownedSums.deallocate()
        releaseTransfers()
    }

    /// Starts a step: the accumulator is cleared and no bucket has started.
    public func reset() {
        if accumulator.count > 0 {
            if releasesGradients { zeroReleasingPages(accumulator.baseAddress!, count: accumulator.count) } else { accumulator.update(repeating: 0) }
        }
        remaining = buckets.map(\.entries.count)
        started = 0
        requests = []
        releaseTransfers()
    }

    /// A device other than the rank's last is done: its gradient moves into the accumulator and the
    /// Float32 buffer is cleared for the next device.
    public func deviceFinished() {
        accumulate(0..<store.bufferCount)
        store.zeroGradients(releasingMemory: releasesGradients)
    }

    /// During the rank's last backward of the step: parameter `entry` (index into the store's entries) is complete.
    public func parameterReady(_ entry: Int) {
        guard accumulator.count > 0 || shards != nil else { return }
        remaining[bucketOfEntry[entry]] -= 1
        while started < buckets.count, remaining[started] <= 0 { start(started) }
        if let runtime { runtime.progress(&requests) }
    }

    /// Starts what is left, waits for every bucket, and writes sum / `divisor` (devices × micro-steps)
    /// into the Float32 gradients.
    public func finish(divisor: Int) {
        if let shards { return finishSharded(shards, divisor: divisor) }
        guard accumulator.count > 0 else {  // one device: only micro-batches to average
            if divisor > 1 { Kernels.scale(store.gradients.baseAddress!, by: 1 / Float(divisor), count: store.gradients.count) }
            started = buckets.count
            return
        }
        while started < buckets.count { start(started) }
        let waitStart = DispatchTime.now().uptimeNanoseconds
        if let runtime { runtime.waitAll(&requests, what: "the gradient allreduce buckets") }
        lastWaitSeconds = Double(DispatchTime.now().uptimeNanoseconds - waitStart) / 1e9
        let scale = 1 / Double(divisor)
        narrowScaled(output: store.gradients.baseAddress!, input: accumulator.baseAddress!, scale: scale, count: store.gradients.count)
        started = buckets.count
    }

    private func accumulate(_ range: Range<Int>) {
        guard accumulator.count > 0 else { return }
        accumulateWidened(sums: accumulator.baseAddress! + range.lowerBound, input: store.gradients.baseAddress! + range.lowerBound, count: range.count)
    }

    private func start(_ bucket: Int) {
        started += 1
        let range = buckets[bucket].range
        if let shards { return startScatter(range, shards: shards) }
        accumulate(range)
        guard let runtime, runtime.size > 1 else { return }
        requests.append(runtime.startSum(accumulator.baseAddress! + range.lowerBound, count: range.count))
    }

    // MARK: - Sharded

    private func startScatter(_ range: Range<Int>, shards: ParameterShards) {
        let runtime = runtime!
        var staging: UnsafeMutableBufferPointer<Double>? = nil
        let source: UnsafePointer<Double>
        if accumulator.count > 0 {
            accumulate(range)
            source = UnsafePointer(accumulator.baseAddress! + range.lowerBound)
        } else {
            let buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: range.count)
            widen(output: buffer.baseAddress!, input: store.gradients.baseAddress! + range.lowerBound, count: range.count)
            staging = buffer
            source = UnsafePointer(buffer.baseAddress!)
            stagedBytes += range.count * 8
        }
        if releasesGradients { zeroReleasingPages(store.gradients.baseAddress! + range.lowerBound, count: range.count) }
        let pieces = shards.split(range)
        let counts = UnsafeMutableBufferPointer<Int32>.allocate(capacity: pieces.count)
        for (rank, piece) in pieces.enumerated() { counts[rank] = Int32(piece.count) }
        let mine = pieces[runtime.rank]
        let receive = ownedSums.baseAddress! + (mine.isEmpty ? 0 : mine.lowerBound - shards.ranges[runtime.rank].lowerBound)
        requests.append(runtime.startReduceScatter(source, into: receive, counts: counts.baseAddress!))
        transfers.append((staging, counts))
        // Bound the Double staging in flight: wait for the oldest transfers first.
        var oldest = 0
        while stagedBytes > stagingLimit, oldest < transfers.count - 1 {
            if let staged = transfers[oldest].staging {
                runtime.wait(&requests[oldest], what: "a gradient reduce-scatter bucket")
                stagedBytes -= staged.count * 8
                staged.deallocate()
                transfers[oldest].staging = nil
            }
            oldest += 1
        }
    }

    private func finishSharded(_ shards: ParameterShards, divisor: Int) {
        let runtime = runtime!
        while started < buckets.count { start(started) }
        let waitStart = DispatchTime.now().uptimeNanoseconds
        runtime.waitAll(&requests, what: "the gradient reduce-scatter buckets")
        lastWaitSeconds = Double(DispatchTime.now().uptimeNanoseconds - waitStart) / 1e9
        releaseTransfers()
        let owned = shards.ranges[runtime.rank]
        let scale = 1 / Double(divisor)
        narrowScaled(output: store.gradients.baseAddress! + owned.lowerBound, input: ownedSums.baseAddress!, scale: scale, count: owned.count)
    }

    private func releaseTransfers() {
        for transfer in transfers {
            transfer.staging?.deallocate()
            transfer.counts.deallocate()
        }
        transfers = []
        stagedBytes = 0
    }
}
