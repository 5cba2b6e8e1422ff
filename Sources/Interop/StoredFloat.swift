/// A floating-point element type as files store it (little-endian, as every host we run on),
/// widened to Float32 exactly on reading: safetensors' F32/BF16/F16, flax's float32/bfloat16/
/// float16, numpy's <f4, |V2 (jax's bfloat16) and <f2.
enum StoredFloat: Sendable {
    case float32, bfloat16, float16

    var size: Int { self == .float32 ? 4 : 2 }

    /// `count` values starting at `base`.
    func widen(_ base: UnsafeRawPointer, count: Int) -> [Float] {
        switch self {
        case .float32: return (0..<count).map { Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        case .bfloat16: return (0..<count).map { Float(bitPattern: UInt32(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) << 16) }
        case .float16: return (0..<count).map { Float(float16Bits: UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
        }
    }

    /// Bytes of `shape` elements of `itemSize` bytes, or nil when the product overflows.
    static func byteCount(of shape: [Int], itemSize: Int) -> Int? {
        var bytes = itemSize
        for size in shape {
            let (product, overflow) = bytes.multipliedReportingOverflow(by: size)
            guard !overflow else { return nil }
            bytes = product
        }
        return bytes
    }
}
