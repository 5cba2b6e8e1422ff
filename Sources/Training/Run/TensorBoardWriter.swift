import Foundation

/// Scalars as TensorBoard event files (`events.out.tfevents.*`), written without TensorFlow: TFRecord
/// framing (length, masked CRC-32C, payload, masked CRC-32C) around hand-encoded `Event` protobufs
/// holding `Summary.Value{tag, simple_value}`.
public final class TensorBoardWriter {
    public let path: String
    private let handle: FileHandle
    /// Seconds since 1970 for each event's wall_time (a fixed clock in tests).
    private let clock: () -> Double

    public init(folder: String, clock: @escaping () -> Double = { Date().timeIntervalSince1970 }) throws {
        self.clock = clock
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        path = URL(fileURLWithPath: folder).appendingPathComponent("events.out.tfevents.\(Int(Date().timeIntervalSince1970)).\(host)").path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        var event = Protobuf()
        event.double(1, clock())
        event.bytes(3, Array("brain.Event:2".utf8))
        try write(record: event.data)
    }

    deinit { try? handle.close() }

    /// One event with `scalars` (tag → value) at `step`.
    public func add(_ scalars: [(String, Double)], step: Int) throws {
        var summary = Protobuf()
        for (tag, value) in scalars {
            var entry = Protobuf()
            entry.bytes(1, Array(tag.utf8))
            entry.float(2, Float(value))
            summary.bytes(1, entry.data)
        }
        var event = Protobuf()
        event.double(1, clock())
        event.varint(2, UInt64(bitPattern: Int64(step)))
        event.bytes(5, summary.data)
        try write(record: event.data)
    }

    private func write(record: [UInt8]) throws {
        var bytes: [UInt8] = []
        let length = withUnsafeBytes(of: UInt64(record.count).littleEndian, Array.init)
        bytes += length
        bytes += withUnsafeBytes(of: maskedCRC32C(length).littleEndian, Array.init)
        bytes += record
        bytes += withUnsafeBytes(of: maskedCRC32C(record).littleEndian, Array.init)
        try handle.write(contentsOf: Data(bytes))
        try handle.synchronize()
    }
}

/// The few protobuf wire types an `Event` needs.
struct Protobuf {
    var data: [UInt8] = []

    mutating func tag(_ field: Int, _ wire: UInt64) { appendVarint(UInt64(field) << 3 | wire) }
    mutating func appendVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 { data.append(UInt8(value & 0x7F) | 0x80); value >>= 7 }
        data.append(UInt8(value))
    }
    mutating func varint(_ field: Int, _ value: UInt64) { tag(field, 0); appendVarint(value) }
    mutating func double(_ field: Int, _ value: Double) { tag(field, 1); data += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
    mutating func float(_ field: Int, _ value: Float) { tag(field, 5); data += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
    mutating func bytes(_ field: Int, _ value: [UInt8]) { tag(field, 2); appendVarint(UInt64(value.count)); data += value }
}

/// CRC-32C (Castagnoli), as TFRecord uses it, masked: ((crc >> 15) | (crc << 17)) + 0xa282ead8.
func maskedCRC32C(_ bytes: [UInt8]) -> UInt32 {
    let crc = crc32c(bytes)
    return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
}

func crc32c(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes { crc = crc32cTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
}

private let crc32cTable: [UInt32] = (0..<256).map { index in
    var value = UInt32(index)
    for _ in 0..<8 { value = value & 1 == 1 ? (value >> 1) ^ 0x82F6_3B78 : value >> 1 }
    return value
}
