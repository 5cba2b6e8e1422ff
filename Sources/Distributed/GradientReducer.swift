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

    /// `devices`: all replicas of the job; with one, no Double accumulator is allocated (a single
    /// device's gradient needs no averaging across devices).
    public init(store: ParameterStore, runtime: MPIRuntime?, devices: Int, firstBucketBytes: Int = 1 << 20, bucketBytes: Int = 25 << 20) {
        self.runtime = runtime
        self.store = store
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
        accumulator = .allocate(capacity: devices > 1 ? store.bufferCount : 0)
        reset()
    }

    deinit { if accumulator.count > 0 { accumulator.deallocate() } }

    /// Starts a step: the accumulator is cleared and no bucket has started.
    public func reset() {
        accumulator.update(repeating: 0)
        remaining = buckets.map(\.entries.count)
        started = 0
        requests = []
    }

    /// A device other than the rank's last is done: its gradient moves into the accumulator and the
    /// Float32 buffer is cleared for the next device.
    public func deviceFinished() {
        accumulate(0..<store.bufferCount)
        store.zeroGradients()
    }

    /// During the rank's last backward of the step: parameter `entry` (index into the store's entries) is complete.
    public func parameterReady(_ entry: Int) {
        guard accumulator.count > 0 else { return }
        remaining[bucketOfEntry[entry]] -= 1
        while started < buckets.count, remaining[started] <= 0 { start(started) }
        if let runtime { runtime.progress(&requests) }
    }

    /// Starts what is left, waits for every bucket, and writes sum / `divisor` (devices × micro-steps)
    /// into the Float32 gradients.
    public func finish(divisor: Int) {
        guard accumulator.count > 0 else {  // one device: only micro-batches to average
            if divisor > 1 { Kernels.scale(store.gradients.baseAddress!, count: store.gradients.count, by: 1 / Float(divisor)) }
            started = buckets.count
            return
        }
        while started < buckets.count { start(started) }
        let waitStart = DispatchTime.now().uptimeNanoseconds
        if let runtime { runtime.waitAll(&requests, what: "the gradient allreduce buckets") }
        lastWaitSeconds = Double(DispatchTime.now().uptimeNanoseconds - waitStart) / 1e9
        let scale = 1 / Double(divisor)
        let gradients = store.gradients, sums = accumulator
        parallelFor(gradients.count, grain: 1 << 16) { range in
            for i in range { gradients[i] = Float(sums[i] * scale) }
        }
        started = buckets.count
    }

    private func accumulate(_ range: Range<Int>) {
        guard accumulator.count > 0 else { return }
        let gradients = store.gradients, sums = accumulator
        parallelFor(range.count, grain: 1 << 16) { chunk in
            for i in chunk { sums[range.lowerBound + i] += Double(gradients[range.lowerBound + i]) }
        }
    }

    private func start(_ bucket: Int) {
        started += 1
        let range = buckets[bucket].range
        accumulate(range)
        guard let runtime, runtime.size > 1 else { return }
        requests.append(runtime.startSum(accumulator.baseAddress! + range.lowerBound, count: range.count))
    }
}
