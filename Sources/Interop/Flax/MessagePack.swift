import Foundation

/// The subset of MessagePack (msgpack.org's spec) that flax.serialization writes: maps, arrays,
/// strings, binaries, integers, floats, nil, booleans and extension values. A decoded value keeps
/// binaries and extension payloads as byte ranges of the input (a 500 MB file is not copied), and
/// every length and count is checked against the bytes that remain before anything is sized by it.
public indirect enum MessagePackValue: Equatable {
    case none
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case float(Double)
    case string(String)
    case binary(Range<Int>)
    case array([MessagePackValue])
    case map([(key: MessagePackValue, value: MessagePackValue)])
    case ext(type: Int8, Range<Int>)

    public static func == (a: MessagePackValue, b: MessagePackValue) -> Bool {
        switch (a, b) {
        case (.none, .none): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.uint(x), .uint(y)): return x == y
        case let (.float(x), .float(y)): return x.bitPattern == y.bitPattern
        case let (.string(x), .string(y)): return x == y
        case let (.binary(x), .binary(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.map(x), .map(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case let (.ext(t, x), .ext(u, y)): return t == u && x == y
        default: return false
        }
    }

    /// A non-negative integer, whichever width encoded it.
    public var count: Int? {
        switch self {
        case .int(let value) where value >= 0: return Int(value)
        case .uint(let value) where value <= UInt64(Int.max): return Int(value)
        default: return nil
        }
    }
}

/// Why bytes are not MessagePack: what was found at which offset.
public struct MessagePackError: Error, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    public var description: String { "at byte \(offset): \(reason)" }
}

/// Decodes one MessagePack value from `bytes[range]`; offsets in the result are offsets of `bytes`.
public struct MessagePackReader {
    /// Deeper nesting is refused (flax trees are a few levels deep; a hostile file must not
    /// exhaust the stack).
    public static let maximumDepth = 64
    let bytes: UnsafeRawBufferPointer
    var position: Int
    let end: Int

    public init(_ bytes: UnsafeRawBufferPointer, range: Range<Int>? = nil) {
        self.bytes = bytes
        position = range?.lowerBound ?? 0
        end = range?.upperBound ?? bytes.count
    }

    /// The value at the start, which must fill the range exactly.
    public static func decode(_ bytes: UnsafeRawBufferPointer, range: Range<Int>? = nil) throws -> MessagePackValue {
        var reader = MessagePackReader(bytes, range: range)
        let value = try reader.value(depth: 0)
        guard reader.position == reader.end else {
            throw MessagePackError(offset: reader.position, reason: "\(reader.end - reader.position) bytes follow the value")
        }
        return value
    }

    func fail(_ reason: String, at offset: Int? = nil) -> MessagePackError { MessagePackError(offset: offset ?? position, reason: reason) }

    mutating func byte() throws -> UInt8 {
        guard position < end else { throw fail("the data ends inside a value (truncated?)") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func bigEndian(_ width: Int) throws -> UInt64 {
        guard end - position >= width else { throw fail("the data ends inside a \(width)-byte field (truncated?)") }
        var value: UInt64 = 0
        for i in 0..<width { value = value << 8 | UInt64(bytes[position + i]) }
        position += width
        return value
    }

    /// `length` bytes from here, which must be there.
    mutating func span(_ length: UInt64) throws -> Range<Int> {
        guard length <= UInt64(end - position) else {
            throw fail("a length of \(length) bytes runs past the end (\(end - position) bytes remain)")
        }
        defer { position += Int(length) }
        return position..<(position + Int(length))
    }

    mutating func string(_ length: UInt64) throws -> MessagePackValue {
        let start = position
        let range = try span(length)
        guard let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self) else {
            throw fail("a string is not valid UTF-8", at: start)
        }
        return .string(text)
    }

    mutating func array(_ count: UInt64, depth: Int) throws -> MessagePackValue {
        // Every element takes at least one byte: a count the data cannot hold is refused unsized.
        guard count <= UInt64(end - position) else { throw fail("an array of \(count) values cannot fit in the \(end - position) bytes left") }
        var values: [MessagePackValue] = []
        values.reserveCapacity(Int(count))
        for _ in 0..<count { values.append(try value(depth: depth + 1)) }
        return .array(values)
    }

    mutating func map(_ count: UInt64, depth: Int) throws -> MessagePackValue {
        guard count <= UInt64(end - position) / 2 else { throw fail("a map of \(count) entries cannot fit in the \(end - position) bytes left") }
        var entries: [(key: MessagePackValue, value: MessagePackValue)] = []
        entries.reserveCapacity(Int(count))
        for _ in 0..<count { entries.append((try value(depth: depth + 1), try value(depth: depth + 1))) }
        return .map(entries)
    }

    mutating func ext(_ length: UInt64) throws -> MessagePackValue {
        let type = Int8(bitPattern: try byte())
        return .ext(type: type, try span(length))
    }

    public mutating func value(depth: Int) throws -> MessagePackValue {
        guard depth <= Self.maximumDepth else { throw fail("values nest deeper than \(Self.maximumDepth) levels") }
        let start = position
        let head = try byte()
        switch head {
        case 0x00...0x7f: return .int(Int64(head))
        case 0x80...0x8f: return try map(UInt64(head & 0x0f), depth: depth)
        case 0x90...0x9f: return try array(UInt64(head & 0x0f), depth: depth)
        case 0xa0...0xbf: return try string(UInt64(head & 0x1f))
        case 0xc0: return .none
        case 0xc2: return .bool(false)
        case 0xc3: return .bool(true)
        case 0xc4: return .binary(try span(try bigEndian(1)))
        case 0xc5: return .binary(try span(try bigEndian(2)))
        case 0xc6: return .binary(try span(try bigEndian(4)))
        case 0xc7: return try ext(try bigEndian(1))
        case 0xc8: return try ext(try bigEndian(2))
        case 0xc9: return try ext(try bigEndian(4))
        case 0xca: return .float(Double(Float(bitPattern: UInt32(try bigEndian(4)))))
        case 0xcb: return .float(Double(bitPattern: try bigEndian(8)))
        case 0xcc: return .uint(try bigEndian(1))
        case 0xcd: return .uint(try bigEndian(2))
        case 0xce: return .uint(try bigEndian(4))
        case 0xcf: return .uint(try bigEndian(8))
        case 0xd0: return .int(Int64(Int8(truncatingIfNeeded: try bigEndian(1))))
        case 0xd1: return .int(Int64(Int16(truncatingIfNeeded: try bigEndian(2))))
        case 0xd2: return .int(Int64(Int32(truncatingIfNeeded: try bigEndian(4))))
        case 0xd3: return .int(Int64(bitPattern: try bigEndian(8)))
        case 0xd4: return try ext(1)
        case 0xd5: return try ext(2)
        case 0xd6: return try ext(4)
        case 0xd7: return try ext(8)
        case 0xd8: return try ext(16)
        case 0xd9: return try string(try bigEndian(1))
        case 0xda: return try string(try bigEndian(2))
        case 0xdb: return try string(try bigEndian(4))
        case 0xdc: return try array(try bigEndian(2), depth: depth)
        case 0xdd: return try array(try bigEndian(4), depth: depth)
        case 0xde: return try map(try bigEndian(2), depth: depth)
        case 0xdf: return try map(try bigEndian(4), depth: depth)
        case 0xe0...0xff: return .int(Int64(Int8(bitPattern: head)))
        default: throw fail("byte 0x\(String(head, radix: 16)) starts no MessagePack value", at: start)
        }
    }
}

/// Writes MessagePack as the Python `msgpack` package packs (`use_bin_type=True`): the smallest
/// encoding of each integer, string, binary and extension length, so a file we write from the
/// same tree equals flax's byte for byte. Buffers a little and hands it to `sink`.
public struct MessagePackWriter {
    var buffer: [UInt8] = []
    let sink: (UnsafeRawBufferPointer) throws -> Void
    public private(set) var written = 0

    public init(sink: @escaping (UnsafeRawBufferPointer) throws -> Void) { self.sink = sink }

    mutating func emit(_ bytes: [UInt8]) throws {
        buffer += bytes
        if buffer.count >= 1 << 20 { try flush() }
    }

    public mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try sink($0) }
        written += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    static func bigEndian(_ value: UInt64, width: Int) -> [UInt8] { (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64(width - 1 - $0))) } }

    /// The encoding of a non-negative integer.
    public static func unsigned(_ value: UInt64) -> [UInt8] {
        switch value {
        case 0...0x7f: return [UInt8(value)]
        case 0...0xff: return [0xcc, UInt8(value)]
        case 0...0xffff: return [0xcd] + bigEndian(value, width: 2)
        case 0...0xffff_ffff: return [0xce] + bigEndian(value, width: 4)
        default: return [0xcf] + bigEndian(value, width: 8)
        }
    }

    public static func string(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8), n = UInt64(bytes.count)
        switch n {
        case 0...31: return [0xa0 | UInt8(n)] + bytes
        case 0...0xff: return [0xd9, UInt8(n)] + bytes
        case 0...0xffff: return [0xda] + bigEndian(n, width: 2) + bytes
        default: return [0xdb] + bigEndian(n, width: 4) + bytes
        }
    }

    public static func arrayHeader(_ count: Int) -> [UInt8] {
        switch UInt64(count) {
        case 0...15: return [0x90 | UInt8(count)]
        case 0...0xffff: return [0xdc] + bigEndian(UInt64(count), width: 2)
        default: return [0xdd] + bigEndian(UInt64(count), width: 4)
        }
    }

    public static func mapHeader(_ count: Int) -> [UInt8] {
        switch UInt64(count) {
        case 0...15: return [0x80 | UInt8(count)]
        case 0...0xffff: return [0xde] + bigEndian(UInt64(count), width: 2)
        default: return [0xdf] + bigEndian(UInt64(count), width: 4)
        }
    }

    public static func binaryHeader(_ length: Int) -> [UInt8] {
        switch UInt64(length) {
        case 0...0xff: return [0xc4, UInt8(length)]
        case 0...0xffff: return [0xc5] + bigEndian(UInt64(length), width: 2)
        default: return [0xc6] + bigEndian(UInt64(length), width: 4)
        }
    }

    public static func extHeader(type: Int8, length: Int) -> [UInt8] {
        let code = UInt8(bitPattern: type)
        switch length {
        case 1: return [0xd4, code]
        case 2: return [0xd5, code]
        case 4: return [0xd6, code]
        case 8: return [0xd7, code]
        case 16: return [0xd8, code]
        case 0...0xff: return [0xc7, UInt8(length), code]
        case 0...0xffff: return [0xc8] + bigEndian(UInt64(length), width: 2) + [code]
        default: return [0xc9] + bigEndian(UInt64(length), width: 4) + [code]
        }
    }

    public mutating func raw(_ bytes: [UInt8]) throws { try emit(bytes) }

    /// Bytes handed straight to the sink (a tensor's values), after what is buffered.
    public mutating func rawLarge(_ bytes: UnsafeRawBufferPointer) throws {
        try flush()
        try sink(bytes)
        written += bytes.count
    }
}
