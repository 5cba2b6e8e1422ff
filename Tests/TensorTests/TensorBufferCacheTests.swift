import Testing
@testable import Tensor

/// The cache behind large tensor buffers: blocks are reused by size, a live block is never handed
/// out or unmapped, and what stays mapped is bounded by the most ever live. Each test has its own
/// cache, so tests running in parallel (and allocating tensors from the shared one) do not disturb
/// the counts.
@Suite struct TensorBufferCacheTests {
    let megabyte = 1 << 20

    @Test func sizeClassesAreWholePagesWithinAnEighth() {
        #expect(TensorBufferCache.sizeClass(1) == 1)
        #expect(TensorBufferCache.sizeClass(TensorBufferCache.threshold) == TensorBufferCache.threshold)
        var previous = 0
        for bytes in stride(from: TensorBufferCache.threshold + 1, through: 300 * megabyte, by: 999_983) {
            let size = TensorBufferCache.sizeClass(bytes)
            #expect(size >= bytes && size - bytes <= bytes / 8, "\(bytes) → \(size)")
            #expect(size % 4096 == 0, "\(bytes) → \(size)")
            #expect(size >= previous)
            previous = size
        }
        // 8 classes per power of two: 1 MiB, 1.125 MiB, ... 1.875 MiB, 2 MiB.
        #expect(TensorBufferCache.sizeClass(megabyte + 1) == megabyte + megabyte / 8)
        #expect(TensorBufferCache.sizeClass(2 * megabyte - 1) == 2 * megabyte)
    }

    @Test func aFreedBlockIsReusedForTheSameAndForASlightlyLargerRequest() {
        let cache = TensorBufferCache()
        let first = cache.allocate(byteCount: 1_000_000)
        #expect(first.size == TensorBufferCache.sizeClass(1_000_000))
        #expect(Int(bitPattern: first.address) % 4096 == 0)
        cache.deallocate(first.address, size: first.size)
        let again = cache.allocate(byteCount: 999_000)
        #expect(again.address == first.address && again.size == first.size)
        cache.deallocate(again.address, size: again.size)
        // A request two classes smaller still takes the free block rather than mapping a new one...
        let smaller = cache.allocate(byteCount: 900_000)
        #expect(smaller.address == first.address && smaller.size == first.size)
        cache.deallocate(smaller.address, size: smaller.size)
        // ...but not one three classes smaller (more than 25% would be wasted).
        let muchSmaller = cache.allocate(byteCount: 800_000)
        #expect(muchSmaller.address != first.address)
        #expect(cache.statistics.mappings == 2)
        cache.deallocate(muchSmaller.address, size: muchSmaller.size)
        // Keeping both would map 1.8 MiB where at most 1 MiB was ever live (+ 12.5% slack): the
        // older block went back to the kernel.
        #expect(cache.statistics.live == 0)
        #expect(cache.statistics.cached == muchSmaller.size)
    }

    @Test func whatStaysMappedIsBoundedByTheMostEverLive() {
        let cache = TensorBufferCache(reach: 0, slack: 0)
        // A new size every round, each freed before the next: without eviction every block would
        // stay cached (1 + 2 + ... + 8 MiB); with it only the largest ever live stays.
        for megabytes in 1...8 {
            let block = cache.allocate(byteCount: megabytes * megabyte)
            #expect(cache.statistics.mapped == megabytes * megabyte, "round \(megabytes)")
            cache.deallocate(block.address, size: block.size)
        }
        // Smaller sizes than the high water may stay mapped side by side up to it.
        let a = cache.allocate(byteCount: 3 * megabyte), b = cache.allocate(byteCount: 5 * megabyte)
        #expect(cache.statistics.mapped == 8 * megabyte)
        #expect(cache.statistics.peakLive == 8 * megabyte)
        cache.deallocate(a.address, size: a.size)
        cache.deallocate(b.address, size: b.size)
        cache.releaseCached()
        #expect(cache.statistics.mapped == 0)
    }

    @Test func evictionNeverTouchesLiveBlocks() {
        let cache = TensorBufferCache(reach: 0, slack: 0)
        var live: [(address: UnsafeMutableRawPointer, size: Int, value: Float)] = []
        for index in 0..<6 {
            let block = cache.allocate(byteCount: (index + 1) * 300_000)
            let value = Float(index + 1)
            block.address.bindMemory(to: Float.self, capacity: block.size / 4).update(repeating: value, count: block.size / 4)
            live.append((block.address, block.size, value))
        }
        // Free every other block, then ask for sizes nobody had: each miss evicts cached blocks.
        for index in stride(from: 0, to: 6, by: 2) { cache.deallocate(live[index].address, size: live[index].size) }
        let kept = stride(from: 1, to: 6, by: 2).map { live[$0] }
        for megabytes in [3, 1, 4] {
            let block = cache.allocate(byteCount: megabytes * megabyte + 12_345)
            block.address.bindMemory(to: Float.self, capacity: block.size / 4).update(repeating: -1, count: block.size / 4)
            cache.deallocate(block.address, size: block.size)
        }
        for block in kept {
            let floats = UnsafeBufferPointer(start: block.address.assumingMemoryBound(to: Float.self), count: block.size / 4)
            #expect(floats.allSatisfy { $0 == block.value })
        }
        #expect(cache.statistics.live == kept.map(\.size).reduce(0, +))
        for block in kept { cache.deallocate(block.address, size: block.size) }
    }

    @Test func largeTensorsComeFromTheSharedCache() {
        // Allocations from parallel tests move the shared counters, so only a lower bound holds.
        let tensor = Tensor.zeros([1024, 64])
        #expect(TensorBufferCache.shared.statistics.live >= 1024 * 64 * 4)
        #expect(tensor.scalars.allSatisfy { $0 == 0 })
    }
}
