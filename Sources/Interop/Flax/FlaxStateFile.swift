import Foundation

/// One array of a flax state dict, as `flax.serialization` stores it: an extension value (type 1,
/// or 3 for a numpy scalar) holding the msgpack triple (shape, dtype name, C-order bytes).
public struct FlaxArray: Equatable {
    public let shape: [Int]
    public let dtype: String
    /// The values' bytes in the file.
    public let bytes: Range<Int>

    public var count: Int { shape.reduce(1, *) }

    /// Bytes per element of the dtypes these files hold.
    static let itemSizes: [String: Int] = ["float32": 4, "bfloat16": 2, "float16": 2, "int32": 4, "int64": 8, "uint32": 4, "bool": 1]
}

/// A `flax.serialization.to_bytes` file (flax_model.msgpack, optimizer_state.msgpack), memory-mapped
/// and decoded into its tree; arrays stay in the mapped file until asked for.
public final class FlaxStateFile {
    public let path: String
    let data: Data
    public let root: MessagePackValue

    public init(path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw InteropError.invalidFile(path: path, reason: "missing") }
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw InteropError.invalidFile(path: path, reason: "cannot be read: \(error.localizedDescription)")
        }
        do { root = try data.withUnsafeBytes { try MessagePackReader.decode($0) } } catch {
            throw InteropError.invalidFile(path: path, reason: "is not a flax msgpack file: \(error)")
        }
    }

    func fail(_ reason: String) -> InteropError { .invalidFile(path: path, reason: reason) }

    /// The entries of a map node, with string keys.
    func entries(_ node: MessagePackValue, at name: String) throws -> [(String, MessagePackValue)] {
        guard case .map(let pairs) = node else { throw fail("\(name.isEmpty ? "the top level" : name) is not a map of the state dict") }
        return try pairs.map { pair in
            guard case .string(let key) = pair.key else { throw fail("a key under \(name.isEmpty ? "the top level" : name) is not a string") }
            return (key, pair.value)
        }
    }

    /// Every array under `node` (the node at `name`, for messages), by "/"-joined path relative
    /// to it, in the file's order.
    public func arrays(under node: MessagePackValue, named name: String = "") throws -> [(path: String, array: FlaxArray)] {
        var found: [(path: String, array: FlaxArray)] = []
        func walk(_ node: MessagePackValue, _ relative: String) throws {
            let full = [name, relative].filter { !$0.isEmpty }.joined(separator: "/")
            switch node {
            case .map:
                let children = try entries(node, at: full)
                if children.contains(where: { $0.0 == "__msgpack_chunked_array__" }) {
                    throw fail("\(full) is a chunked array (flax splits arrays over 1 GiB): not read")
                }
                for (key, child) in children { try walk(child, relative.isEmpty ? key : "\(relative)/\(key)") }
            case .ext(let type, let range) where type == 1 || type == 3:
                found.append((relative, try array(range, at: full)))
            default:
                throw fail("\(full.isEmpty ? "the top level" : full) is neither a map nor an array")
            }
        }
        try walk(node, "")
        return found
    }

    func array(_ range: Range<Int>, at name: String) throws -> FlaxArray {
        let triple: MessagePackValue
        do { triple = try data.withUnsafeBytes { try MessagePackReader.decode($0, range: range) } } catch {
            throw fail("array \(name) is damaged: \(error)")
        }
        guard case .array(let parts) = triple, parts.count == 3, case .array(let dimensions) = parts[0], case .string(let dtype) = parts[1],
              case .binary(let bytes) = parts[2] else {
            throw fail("array \(name) is not flax's (shape, dtype, bytes)")
        }
        let shape = try dimensions.map { dimension -> Int in
            guard let size = dimension.count else { throw fail("array \(name) has a dimension that is not a non-negative integer") }
            return size
        }
        guard let itemSize = FlaxArray.itemSizes[dtype] else { throw fail("array \(name) has dtype \(dtype), which is not read") }
        guard let expected = StoredFloat.byteCount(of: shape, itemSize: itemSize) else { throw fail("array \(name)'s shape \(shape) overflows") }
        guard expected == bytes.count else { throw fail("array \(name) has shape \(shape) of \(dtype) (\(expected) bytes) but holds \(bytes.count) bytes") }
        return FlaxArray(shape: shape, dtype: dtype, bytes: bytes)
    }

    /// A floating-point array as Float32 (bfloat16 and float16 widen exactly).
    public func floats(_ array: FlaxArray, at name: String) throws -> [Float] {
        let elements: [String: StoredFloat] = ["float32": .float32, "bfloat16": .bfloat16, "float16": .float16]
        guard let element = elements[array.dtype] else { throw fail("array \(name) has dtype \(array.dtype), expected float32, bfloat16 or float16") }
        return data.withUnsafeBytes { element.widen($0.baseAddress! + array.bytes.lowerBound, count: array.count) }
    }

    /// An integer scalar (optax's counts are int32 arrays of shape []).
    public func integer(_ array: FlaxArray, at name: String) throws -> Int {
        guard array.shape.isEmpty else { throw fail("\(name) has shape \(array.shape), expected a scalar") }
        return try data.withUnsafeBytes { raw -> Int in
            let base = raw.baseAddress! + array.bytes.lowerBound
            switch array.dtype {
            case "int32": return Int(base.loadUnaligned(as: Int32.self))
            case "int64": return Int(base.loadUnaligned(as: Int64.self))
            case "uint32": return Int(base.loadUnaligned(as: UInt32.self))
            default: throw fail("\(name) has dtype \(array.dtype), expected an integer")
            }
        }
    }
}
