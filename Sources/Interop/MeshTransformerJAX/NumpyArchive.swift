import Foundation

/// One array of an `.npz` archive: numpy's `.npy` header (dtype descr, shape, C order) and where
/// its values lie in the mapped archive.
public struct NumpyArray: Equatable {
    public let name: String
    /// numpy's descr: "<f4", "<f2", "<i4", "<i8", or "|V2" (bfloat16 as jax saved it: two raw bytes).
    public let descr: String
    public let shape: [Int]
    public let bytes: Range<Int>

    public var count: Int { shape.reduce(1, *) }
    static let itemSizes: [String: Int] = ["<f4": 4, "<f2": 2, "|V2": 2, "<V2": 2, "<i4": 4, "<i8": 8, "<u4": 4]
}

/// An `.npz` file as `np.savez` writes it: a zip of stored (uncompressed) `.npy` members, with
/// zip64 fields where numpy forces them. The file is memory-mapped; members are located from the
/// central directory and every offset and size is checked against the file before use.
public final class NumpyArchive {
    public let path: String
    let data: Data
    /// The members in the archive's order (np.savez's arr_0, arr_1, …).
    public let arrays: [NumpyArray]

    public init(path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw InteropError.invalidFile(path: path, reason: "missing") }
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw InteropError.invalidFile(path: path, reason: "cannot be read: \(error.localizedDescription)")
        }
        arrays = try data.withUnsafeBytes { raw in try Self.members(raw, path: path) }
    }

    static func fail(_ path: String, _ reason: String) -> InteropError { .invalidFile(path: path, reason: reason) }

    static func integer(_ raw: UnsafeRawBufferPointer, _ offset: Int, _ width: Int, path: String) throws -> UInt64 {
        guard offset >= 0, offset + width <= raw.count else { throw fail(path, "is not a zip archive: a field at byte \(offset) lies past the end (truncated?)") }
        var value: UInt64 = 0
        for i in (0..<width).reversed() { value = value << 8 | UInt64(raw[offset + i]) }
        return value
    }

    /// The zip64 extended-information field's values that replace 0xFFFFFFFF fields, in order.
    static func zip64Values(_ raw: UnsafeRawBufferPointer, extra: Range<Int>, path: String) throws -> [UInt64] {
        var offset = extra.lowerBound
        while offset + 4 <= extra.upperBound {
            let id = try integer(raw, offset, 2, path: path), size = Int(try integer(raw, offset + 2, 2, path: path))
            guard offset + 4 + size <= extra.upperBound else { throw fail(path, "a zip extra field runs past its record") }
            if id == 1 { return try stride(from: 0, to: size - 7, by: 8).map { try integer(raw, offset + 4 + $0, 8, path: path) } }
            offset += 4 + size
        }
        return []
    }

    static func members(_ raw: UnsafeRawBufferPointer, path: String) throws -> [NumpyArray] {
        // The end-of-central-directory record: within the last 64 KiB + 22 bytes.
        var end = -1
        for offset in stride(from: raw.count - 22, through: max(0, raw.count - 22 - 65_535), by: -1) where try integer(raw, offset, 4, path: path) == 0x0605_4b50 {
            end = offset
            break
        }
        guard end >= 0 else { throw fail(path, "is not a zip archive (no end of central directory; truncated, or not an .npz)") }
        var count = try integer(raw, end + 10, 2, path: path), directory = try integer(raw, end + 16, 4, path: path)
        if count == 0xffff || directory == 0xffff_ffff {
            // zip64: the locator sits just before the record and points at the zip64 record.
            guard end >= 20, try integer(raw, end - 20, 4, path: path) == 0x0706_4b50 else { throw fail(path, "needs zip64 fields it does not have") }
            let record = Int(clamping: try integer(raw, end - 12, 8, path: path))
            guard try integer(raw, record, 4, path: path) == 0x0606_4b50 else { throw fail(path, "has a damaged zip64 end record") }
            count = try integer(raw, record + 32, 8, path: path)
            directory = try integer(raw, record + 48, 8, path: path)
        }
        // Every central record is at least 46 bytes: a count the file cannot hold is refused unsized.
        guard count <= UInt64(raw.count / 46) else { throw fail(path, "claims \(count) members, more than the file can hold") }
        var arrays: [NumpyArray] = []
        var offset = Int(clamping: directory)
        for _ in 0..<Int(count) {
            guard try integer(raw, offset, 4, path: path) == 0x0201_4b50 else { throw fail(path, "has a damaged central directory at byte \(offset)") }
            let method = try integer(raw, offset + 10, 2, path: path)
            var size = try integer(raw, offset + 20, 4, path: path)
            let nameLength = Int(try integer(raw, offset + 28, 2, path: path)), extraLength = Int(try integer(raw, offset + 30, 2, path: path))
            let commentLength = Int(try integer(raw, offset + 32, 2, path: path))
            var local = try integer(raw, offset + 42, 4, path: path)
            guard offset + 46 + nameLength + extraLength <= raw.count else { throw fail(path, "a central directory entry runs past the end") }
            // np.savez names members arr_0.npy, arr_1.npy, …; np.load calls them arr_0, arr_1, ….
            var name = String(decoding: UnsafeRawBufferPointer(rebasing: raw[(offset + 46)..<(offset + 46 + nameLength)]), as: UTF8.self)
            if name.hasSuffix(".npy") { name.removeLast(4) }
            var wide = try zip64Values(raw, extra: (offset + 46 + nameLength)..<(offset + 46 + nameLength + extraLength), path: path)
            // zip64 values come in a fixed order, each only when its 32-bit field is 0xFFFFFFFF.
            if try integer(raw, offset + 24, 4, path: path) == 0xffff_ffff, !wide.isEmpty { wide.removeFirst() }
            if size == 0xffff_ffff { guard !wide.isEmpty else { throw fail(path, "member \(name) lacks its zip64 size") }; size = wide.removeFirst() }
            if local == 0xffff_ffff { guard !wide.isEmpty else { throw fail(path, "member \(name) lacks its zip64 offset") }; local = wide.removeFirst() }
            guard method == 0 else { throw fail(path, "member \(name) is compressed (np.savez_compressed): only np.savez's stored members are read") }
            let localStart = Int(clamping: local)
            guard try integer(raw, localStart, 4, path: path) == 0x0403_4b50 else { throw fail(path, "member \(name) has no local header at byte \(localStart)") }
            let start = localStart + 30 + Int(try integer(raw, localStart + 26, 2, path: path)) + Int(try integer(raw, localStart + 28, 2, path: path))
            guard size <= UInt64(raw.count), start <= raw.count - Int(size) else { throw fail(path, "member \(name) runs past the end of the file (truncated?)") }
            arrays.append(try npy(raw, start..<(start + Int(size)), name: name, path: path))
            offset += 46 + nameLength + extraLength + commentLength
        }
        return arrays
    }

    /// A `.npy` member: magic, version, header length, a Python dict literal, then the values.
    static func npy(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>, name: String, path: String) throws -> NumpyArray {
        func bad(_ reason: String) -> InteropError { fail(path, "member \(name) \(reason)") }
        let magic: [UInt8] = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]
        guard range.count >= 10, Array(raw[range.lowerBound..<(range.lowerBound + 6)]) == magic else { throw bad("is not a .npy array") }
        let major = raw[range.lowerBound + 6]
        let headerWidth = major == 1 ? 2 : 4
        guard major >= 1, major <= 3, range.count >= 8 + headerWidth else { throw bad("has .npy version \(major), which is not read") }
        let headerLength = Int(try integer(raw, range.lowerBound + 8, headerWidth, path: path))
        let headerStart = range.lowerBound + 8 + headerWidth
        guard headerLength <= range.upperBound - headerStart else { throw bad("has a header longer than the member") }
        let header = String(decoding: UnsafeRawBufferPointer(rebasing: raw[headerStart..<(headerStart + headerLength)]), as: UTF8.self)
        func field(_ key: String) -> Substring? {
            guard let keyRange = header.range(of: "'\(key)':") else { return nil }
            return header[keyRange.upperBound...].drop(while: { $0 == " " })
        }
        guard let descrText = field("descr"), descrText.first == "'", let closing = descrText.dropFirst().firstIndex(of: "'") else { throw bad("has no dtype in its header") }
        let descr = String(descrText[descrText.index(after: descrText.startIndex)..<closing])
        guard let fortran = field("fortran_order"), fortran.hasPrefix("False") else { throw bad("is not in C order (fortran_order is not False)") }
        guard let shapeText = field("shape"), shapeText.first == "(", let shapeEnd = shapeText.firstIndex(of: ")") else { throw bad("has no shape in its header") }
        let dimensions = shapeText[shapeText.index(after: shapeText.startIndex)..<shapeEnd].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let shape = try dimensions.map { text -> Int in
            guard let size = Int(text), size >= 0 else { throw bad("has a shape dimension \"\(text)\"") }
            return size
        }
        guard let itemSize = NumpyArray.itemSizes[descr] else { throw bad("has dtype \(descr), which is not read (float32, float16, bfloat16 as |V2, int32, int64)") }
        guard let bytes = StoredFloat.byteCount(of: shape, itemSize: itemSize) else { throw bad("has a shape \(shape) whose size overflows") }
        let dataStart = headerStart + headerLength
        guard bytes == range.upperBound - dataStart else { throw bad("holds \(range.upperBound - dataStart) bytes of values, its shape \(shape) of \(descr) needs \(bytes)") }
        return NumpyArray(name: name, descr: descr, shape: shape, bytes: dataStart..<range.upperBound)
    }

    /// A floating-point array as Float32 (float16 and bfloat16 widen exactly).
    public func floats(_ array: NumpyArray) throws -> [Float] {
        let elements: [String: StoredFloat] = ["<f4": .float32, "|V2": .bfloat16, "<V2": .bfloat16, "<f2": .float16]
        guard let element = elements[array.descr] else { throw Self.fail(path, "member \(array.name) has dtype \(array.descr), expected a float") }
        return data.withUnsafeBytes { element.widen($0.baseAddress! + array.bytes.lowerBound, count: array.count) }
    }

    /// An integer scalar (optax's counts, the step).
    public func integer(_ array: NumpyArray) throws -> Int {
        guard array.count == 1 else { throw Self.fail(path, "member \(array.name) has shape \(array.shape), expected a scalar") }
        return try data.withUnsafeBytes { raw -> Int in
            let base = raw.baseAddress! + array.bytes.lowerBound
            switch array.descr {
            case "<i4": return Int(base.loadUnaligned(as: Int32.self))
            case "<i8": return Int(base.loadUnaligned(as: Int64.self))
            case "<u4": return Int(base.loadUnaligned(as: UInt32.self))
            default: throw Self.fail(path, "member \(array.name) has dtype \(array.descr), expected an integer")
            }
        }
    }
}
