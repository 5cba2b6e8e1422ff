import Kernels

/// A run of Float32s that one or more tensors look at.
///
/// Owned storage is 64-byte aligned (one cache line, room for AVX-512 loads) and freed with the
/// last tensor that uses it; buffers above 64 KiB come from `TensorBufferCache`. A borrowed
/// storage is a window into someone else's memory (the flat parameter buffer) and keeps that owner
/// alive.
final class TensorStorage {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    private let owner: AnyObject?
    private let ownsMemory: Bool
    /// The size of the block `TensorBufferCache` gave (0: malloc's), which it needs back.
    private let cachedBlockSize: Int

    init(count: Int) {
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        if bytes > TensorBufferCache.threshold {
            let block = TensorBufferCache.shared.allocate(byteCount: bytes)
            pointer = block.address.bindMemory(to: Float.self, capacity: count)
            cachedBlockSize = block.size
        } else {
            pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: Float.self, capacity: max(count, 1))
            cachedBlockSize = 0
        }
        self.count = count
        owner = nil
        ownsMemory = true
    }

    init(borrowing pointer: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        self.pointer = pointer
        self.count = count
        self.owner = owner
        ownsMemory = false
        cachedBlockSize = 0
    }

    deinit {
        guard ownsMemory else { return }
        if cachedBlockSize > 0 {
            TensorBufferCache.shared.deallocate(UnsafeMutableRawPointer(pointer), size: cachedBlockSize)
        } else {
            UnsafeMutableRawPointer(pointer).deallocate()
        }
    }
}
