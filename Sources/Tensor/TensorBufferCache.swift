import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where large tensor buffers come from: pages mapped for tensors alone, kept after a tensor dies
/// and handed to the next tensor of the same size.
///
/// A training step allocates and frees the same activations in the same order every step. Left to
/// malloc, those blocks shared one heap with every small allocation of the process, and with two
/// compute threads the heap fragmented until base-512 held ~1 GB more than it used (malloc_stats:
/// the same bytes in use, the heap grown). Blocks kept apart, in free lists per size class, are
/// never split by small allocations, and from the second step on nearly every request is met from
/// a list: no page faults and no zero-filling (glibc serves large blocks with fresh mmaps and
/// unmaps them on free, which cost a third of a RoBERTa-base step before tensors kept their own).
/// Buffers of 64 KiB or less stay with malloc.
///
/// How much stays mapped is bounded: on a miss, cached blocks are unmapped, longest-unused first,
/// until what is mapped fits under the most that was ever live plus `slack` of it. Sizes that stop
/// coming (a labelled-row count seen once, the 128-token shapes after the switch to 512) are given
/// back instead of staying mapped beside the new ones.
public final class TensorBufferCache: @unchecked Sendable {
    /// The cache every tensor uses.
    public static let shared = TensorBufferCache()

    /// Requests above this many bytes are served here.
    public static let threshold = 1 << 16

    /// What the cache holds, in bytes, and how often it had to map.
    public struct Statistics: Sendable, Equatable {
        /// Handed out to live tensors (block sizes).
        public var live = 0
        /// The most that was live at once since the last `resetPeak()`.
        public var peakLive = 0
        /// Freed by tensors and kept for reuse.
        public var cached = 0
        /// Blocks mapped from the kernel so far (each one page-faults in when first written).
        public var mappings = 0
        /// Mapped in all: live + cached.
        public var mapped: Int { live + cached }
    }

    /// A free block of a request's size class is reused, else one of the next `reach` classes
    /// (≤ 25% larger): the labelled-row logits change size a little every step and would otherwise
    /// miss about every other step.
    let reach: Int
    /// What may stay mapped beyond the most ever live, as a fraction of it.
    let slack: Double

    /// A freed block and when it was freed (a counter), so that the longest-unused goes first.
    private struct FreeBlock {
        let address: UnsafeMutableRawPointer
        let freedAt: Int
    }

    private let lock = NSLock()
    /// Free blocks by size, each list in freeing order. Lists never stay empty in the dictionary.
    private var freeBlocks: [Int: [FreeBlock]] = [:]
    private var counters = Statistics()
    private var frees = 0
    /// The most ever live; unlike `peakLive` never reset, since it bounds what stays mapped.
    private var highWater = 0

    /// What the cache may keep mapped beyond the most ever live, as a fraction of it.
    public static let defaultSlack = 0.125

    public init(reach: Int = 2, slack: Double = TensorBufferCache.defaultSlack) {
        self.reach = reach
        self.slack = slack
    }

    deinit { releaseCached() }

    /// A page-aligned block of at least `bytes` bytes and its size, which `deallocate` needs back.
    func allocate(byteCount bytes: Int) -> (address: UnsafeMutableRawPointer, size: Int) {
        let wanted = Self.sizeClass(bytes)
        lock.lock()
        var candidate = wanted
        for _ in 0...reach {
            if let block = takeCached(size: candidate) {
                markLive(candidate)
                measureAllocation(block, size: candidate)
                lock.unlock()
                return (block, candidate)
            }
            candidate = Self.sizeClass(candidate + 1)
        }
        markLive(wanted)
        counters.mappings += 1
        let limit = highWater + Int(Double(highWater) * slack)
        let evicted = evictLongestUnused(atLeast: counters.mapped - limit)
        lock.unlock()
        for (address, size) in evicted { munmap(address, size) }
        if let block = Self.map(wanted) { return measured(block, wanted) }
        // The kernel said no: give back everything cached and try once more.
        releaseCached()
        if let block = Self.map(wanted) { return measured(block, wanted) }
        fatalError("out of memory: could not map \(wanted) bytes for a tensor (\(statistics.live) bytes live)")
    }

    /// Returns a block from `allocate`, with the size it came with, to the free lists.
    func deallocate(_ block: UnsafeMutableRawPointer, size: Int) {
        lock.lock()
        frees += 1
        if !measurements.isEmpty { for measurement in measurements.values where measurement.blocks.remove(UInt(bitPattern: block)) != nil { measurement.live -= size } }
        freeBlocks[size, default: []].append(FreeBlock(address: block, freedAt: frees))
        counters.live -= size
        counters.cached += size
        lock.unlock()
    }

    /// Unmaps every cached block.
    public func releaseCached() {
        lock.lock()
        let blocks = freeBlocks
        freeBlocks = [:]
        counters.cached = 0
        lock.unlock()
        for (size, list) in blocks { for block in list { munmap(block.address, size) } }
    }

    public var statistics: Statistics {
        lock.lock()
        defer { lock.unlock() }
        return counters
    }

    /// Starts a new peak measurement from what is live now.
    public func resetPeak() {
        lock.lock()
        counters.peakLive = counters.live
        lock.unlock()
    }

    /// Rounds a request up to the next of 8 size classes per power of two (≤ 12.5% slack, whole
    /// pages above 64 KiB).
    static func sizeClass(_ bytes: Int) -> Int {
        guard bytes > threshold else { return bytes }
        let step = 1 << (Int.bitWidth - bytes.leadingZeroBitCount - 1 - 3)
        return (bytes + step - 1) / step * step
    }

    // MARK: Under the lock

    // MARK: - Measuring one thread's peak

    /// Blocks allocated by one thread inside `measuringPeak` and not yet freed.
    private final class Measurement {
        var live = 0, peak = 0
        var blocks = Set<UInt>()
    }

    /// Open measurements by thread (tests: other threads' tensors must not count).
    private var measurements: [UInt: Measurement] = [:]

    /// Runs `body` and returns the most bytes live at once among the blocks this thread allocated
    /// during it: unlike `peakLive`, untouched by tensors of other threads (tests running in parallel).
    public func measuringPeak<Result>(_ body: () throws -> Result) rethrows -> (result: Result, peakBytes: Int) {
        let thread = UInt(pthread_self())
        let measurement = Measurement()
        lock.lock()
        measurements[thread] = measurement
        lock.unlock()
        defer {
            lock.lock()
            measurements[thread] = nil
            lock.unlock()
        }
        let result = try body()
        lock.lock()
        defer { lock.unlock() }
        return (result, measurement.peak)
    }

    private func measured(_ block: UnsafeMutableRawPointer, _ size: Int) -> (address: UnsafeMutableRawPointer, size: Int) {
        lock.lock()
        measureAllocation(block, size: size)
        lock.unlock()
        return (block, size)
    }

    /// Called holding the lock.
    private func measureAllocation(_ block: UnsafeMutableRawPointer, size: Int) {
        guard !measurements.isEmpty, let measurement = measurements[UInt(pthread_self())] else { return }
        measurement.blocks.insert(UInt(bitPattern: block))
        measurement.live += size
        measurement.peak = max(measurement.peak, measurement.live)
    }

    private func markLive(_ size: Int) {
        counters.live += size
        counters.peakLive = max(counters.peakLive, counters.live)
        highWater = max(highWater, counters.live)
    }

    /// The most recently freed block of exactly `size` bytes (still warm in cache), if any.
    private func takeCached(size: Int) -> UnsafeMutableRawPointer? {
        guard let list = freeBlocks[size] else { return nil }
        if list.count == 1 { freeBlocks[size] = nil } else { freeBlocks[size]!.removeLast() }
        counters.cached -= size
        return list[list.count - 1].address
    }

    /// Takes cached blocks off their lists, oldest first, until `bytes` are gathered or none is
    /// left; the caller unmaps them after unlocking. A list's oldest block is its first.
    private func evictLongestUnused(atLeast bytes: Int) -> [(UnsafeMutableRawPointer, Int)] {
        var evicted: [(UnsafeMutableRawPointer, Int)] = []
        var gathered = 0
        while gathered < bytes {
            guard let (size, list) = freeBlocks.min(by: { $0.value[0].freedAt < $1.value[0].freedAt }) else { break }
            evicted.append((list[0].address, size))
            gathered += size
            counters.cached -= size
            if list.count == 1 { freeBlocks[size] = nil } else { freeBlocks[size]!.removeFirst() }
        }
        return evicted
    }

    private static func map(_ size: Int) -> UnsafeMutableRawPointer? {
        let block = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let block, block != MAP_FAILED else { return nil }
        return block
    }
}
