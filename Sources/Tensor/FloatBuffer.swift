import Kernels

/// A zero-filled, 64-byte-aligned Float32 buffer that frees itself: a `ParameterStore`'s values and
/// gradients, and optimizer moments laid out like them.
public final class FloatBuffer {
    public let values: UnsafeMutableBufferPointer<Float>

    /// `untouched`: zeroed without writing whole pages (fresh memory stays unmapped until used;
    /// the gradient buffer of a sharded run never maps most of it).
    public init(count: Int, untouched: Bool = false) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        let pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        if untouched {
            adviseHugePages(pointer, count: max(count, 1))
            zeroReleasingPages(pointer, count: max(count, 1))
        } else {
            pointer.initialize(repeating: 0, count: max(count, 1))
        }
        values = UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    deinit { UnsafeMutableRawPointer(values.baseAddress!).deallocate() }
}
