import AtomicFiles
import Foundation

#if _endian(big)
#error("safetensors and this reader are little-endian")
#endif

/// The safetensors format, read and written by hand: an 8-byte little-endian header length, a JSON
/// header `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}`, then
/// the raw little-endian tensor bytes (offsets count from the end of the header).
public struct SafeTensorsFile {
    public struct TensorInfo: Equatable, Sendable {
        public let dtype: String
        public let shape: [Int]
        /// Byte range within the file.
        public let bytes: Range<Int>
    }

    public let path: String
    public let tensors: [String: TensorInfo]
    public let metadata: [String: String]
    private let data: Data

    /// The product of `shape`, nil for a negative dimension or a product past Int's range.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    static let elementSizes = ["F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "F64": 8, "U8": 1, "I8": 1, "BOOL": 1]

    public init(path: String) throws {
        self.path = path
        func fail(_ reason: String) -> InteropError { .invalidFile(path: path, reason: reason) }
        // Mapped, not read: a shard of a 6B model is gigabytes, and only the tensors asked for are touched.
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else { throw fail("cannot read the file (missing?)") }
        guard data.count >= 8 else { throw fail("is \(data.count) bytes, too short for a safetensors header") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8) else { throw fail("declares a \(headerLength)-byte header in a \(data.count)-byte file (truncated?)") }
        let dataStart = 8 + Int(headerLength)
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<dataStart)) as? [String: Any] else {
            throw fail("its header is not a JSON object")
        }
        var tensors: [String: TensorInfo] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                metadata = value as? [String: String] ?? [:]
                continue
            }
            guard let description = value as? [String: Any], let dtype = description["dtype"] as? String,
                  let shape = description["shape"] as? [Int], let offsets = description["data_offsets"] as? [Int], offsets.count == 2 else {
                throw fail("tensor \(name) has no valid dtype, shape and data_offsets")
            }
            guard let size = Self.elementSizes[dtype] else { throw fail("tensor \(name) has unsupported dtype \(dtype)") }
            // Checked before any arithmetic: the offsets and the shape come from the file.
            guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= data.count - dataStart else {
                throw fail("tensor \(name) lies outside the file (bytes \(offsets) after a \(dataStart)-byte header, \(data.count) in all; truncated?)")
            }
            let range = (dataStart + offsets[0])..<(dataStart + offsets[1])
            guard let elements = Self.elementCount(shape), elements.multipliedReportingOverflow(by: size) == (range.count, false) else {
                throw fail("tensor \(name) of shape \(shape) and dtype \(dtype) does not fill its \(range.count) bytes")
            }
            tensors[name] = TensorInfo(dtype: dtype, shape: shape, bytes: range)
        }
        self.tensors = tensors
        self.metadata = metadata
        self.data = data
    }

    /// The tensor as Float32; F16 and BF16 are widened exactly, F32 is copied bit for bit.
    public func floats(_ name: String) throws -> [Float] {
        let info = try self.info(name)
        let element: StoredFloat
        switch info.dtype {
        case "F32": element = .float32
        case "BF16": element = .bfloat16
        case "F16": element = .float16
        default: throw InteropError.invalidFile(path: path, reason: "tensor \(name) is \(info.dtype), not a floating-point tensor")
        }
        return data.withUnsafeBytes { raw in element.widen(raw.baseAddress! + info.bytes.lowerBound, count: info.bytes.count / element.size) }
    }

    public func integers(_ name: String) throws -> [Int64] {
        let info = try self.info(name)
        let bytes = data.subdata(in: info.bytes)
        switch info.dtype {
        case "I64": return bytes.withUnsafeBytes { raw in (0..<(info.bytes.count / 8)).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) } }
        case "I32": return bytes.withUnsafeBytes { raw in (0..<(info.bytes.count / 4)).map { Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) } }
        default: throw InteropError.invalidFile(path: path, reason: "tensor \(name) is \(info.dtype), not an integer tensor")
        }
    }

    public func info(_ name: String) throws -> TensorInfo {
        guard let info = tensors[name] else { throw InteropError.invalidFile(path: path, reason: "has no tensor \(name)") }
        return info
    }

    /// The element type a file is written in: Float32 as is, or rounded to nearest-even 16-bit.
    public enum StorageType: String, Sendable, CaseIterable {
        case float32, float16, bfloat16

        var dtype: String { switch self { case .float32: "F32"; case .float16: "F16"; case .bfloat16: "BF16" } }
        var size: Int { self == .float32 ? 4 : 2 }
    }

    /// Writes Float32 tensors as `safetensors.torch.save_file` does: names sorted, data packed in
    /// that order, the header padded with spaces to a multiple of 8 bytes. The file is written
    /// beside `path` and renamed into place, tensor by tensor (no copy of the whole model).
    public static func write(_ tensors: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)], metadata: [String: String] = ["format": "pt"],
                             storage: StorageType = .float32, to path: String) throws {
        let values = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.values) })
        try write(layout: tensors.map { ($0.name, $0.shape) }, metadata: metadata, storage: storage, to: path) { Array(values[$0]!) }
    }

    /// The same, asking `values` for each tensor just before writing it, so that only one tensor
    /// need be in memory (exporting a model larger than memory from a checkpoint).
    public static func write(layout: [(name: String, shape: [Int])], metadata: [String: String] = ["format": "pt"], storage: StorageType = .float32,
                             to path: String, values: (String) throws -> [Float]) throws {
        let sorted = layout.sorted { $0.name < $1.name }
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for tensor in sorted {
            let count = tensor.shape.reduce(1, *)
            header[tensor.name] = ["dtype": storage.dtype, "shape": tensor.shape, "data_offsets": [offset, offset + storage.size * count]]
            offset += storage.size * count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        try AtomicFile.write(to: path) { handle in
            var prefix = Data()
            withUnsafeBytes(of: UInt64(json.count).littleEndian) { prefix.append(contentsOf: $0) }
            try handle.write(contentsOf: prefix + json)
            for tensor in sorted {  // little-endian host, as the format
                let scalars = try values(tensor.name)
                guard scalars.count == tensor.shape.reduce(1, *) else {
                    throw AtomicFile.Failure(path: path, reason: "\(tensor.name) holds \(scalars.count) values, its shape \(tensor.shape) needs \(tensor.shape.reduce(1, *))")
                }
                switch storage {
                case .float32: try handle.write(contentsOf: scalars.withUnsafeBufferPointer { Data(buffer: $0) })
                case .float16: try handle.write(contentsOf: scalars.map { Float16($0).bitPattern }.withUnsafeBufferPointer { Data(buffer: $0) })
                case .bfloat16: try handle.write(contentsOf: scalars.map(\.bfloat16Bits).withUnsafeBufferPointer { Data(buffer: $0) })
                }
            }
        }
    }
}

extension Float {
    /// IEEE binary16 → binary32, exact (subnormals, infinities and NaN included).
    init(float16Bits bits: UInt16) {
        let sign = UInt32(bits >> 15) << 31
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = UInt32(bits & 0x3FF)
        switch exponent {
        case 0: self = (sign != 0 ? -1 : 1) * Float(mantissa) * 0x1p-24
        case 31: self = Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        default: self = Float(bitPattern: sign | UInt32(exponent + 112) << 23 | mantissa << 13)
        }
    }
}

extension Float {
    /// Float32 → bfloat16 bits, rounded to nearest-even (NaN stays NaN), as PyTorch's `.to(torch.bfloat16)`.
    var bfloat16Bits: UInt16 {
        if isNaN { return UInt16(truncatingIfNeeded: (bitPattern >> 16) | 0x40) }
        let bits = bitPattern
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }
}
