import Kernels

/// A run of Float32s that one or more tensors look at.
///
/// Owned storage is 64-byte aligned (one cache line, room for AVX-512 loads) and freed with the
/// last tensor that uses it. A borrowed storage is a window into someone else's memory (the flat
/// parameter buffer) and keeps that owner alive.
final class TensorStorage {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    private let owner: AnyObject?
    private let ownsMemory: Bool

    init(count: Int) {
        _ = AllocatorPolicy.applied
        let bytes = Self.sizeClass(max(count, 1) * MemoryLayout<Float>.stride)
        pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
        owner = nil
        ownsMemory = true
    }

    /// Rounds a large request up to the next of 8 size classes per power of two (≤ 12.5% slack), so
    /// that buffers whose size varies a little from step to step (the logits of the labelled rows)
    /// fit the blocks freed by earlier steps instead of growing the heap: malloc keeps freed memory
    /// (see AllocatorPolicy), and without classes its heap grew with every step.
    static func sizeClass(_ bytes: Int) -> Int {
        guard bytes > 1 << 16 else { return bytes }
        let step = 1 << (Int.bitWidth - bytes.leadingZeroBitCount - 1 - 3)
        return (bytes + step - 1) / step * step
    }

    init(borrowing pointer: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        self.pointer = pointer
        self.count = count
        self.owner = owner
        ownsMemory = false
    }

    deinit {
        if ownsMemory { UnsafeMutableRawPointer(pointer).deallocate() }
    }
}
