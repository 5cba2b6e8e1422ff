import Foundation

extension Checkpoint {
    /// A checkpoint's parameters one tensor at a time, for exporting a model too large to hold
    /// whole (GPT-J-6B): only the tensor being read is in memory. Reads whole and sharded
    /// checkpoints alike.
    public final class ParameterReader {
        let file: HDF5File

        /// Opens `path` and checks its version, that its parameters are exactly `layout`'s, and its shards.
        public init(path: String, layout: [(name: String, shape: [Int])]) throws {
            file = try openChecked(path)
            let stored = Set(try file.names(in: "/params")), expected = Set(layout.map(\.name))
            if let extra = stored.subtracting(expected).sorted().first {
                throw CheckpointError.dataset(path: path, dataset: "/params/\(extra)", reason: "is not a parameter of this model (a different architecture or size?)")
            }
            if let missing = expected.subtracting(stored).sorted().first {
                throw CheckpointError.dataset(path: path, dataset: "/params/\(missing)", reason: "missing")
            }
        }

        /// The parameter `name`, which must have `shape`.
        public func floats(_ name: String, shape: [Int]) throws -> [Float] {
            var values = [Float](repeating: 0, count: max(1, shape.reduce(1, *)))
            try values.withUnsafeMutableBufferPointer { try file.readFloats(at: "/params/\(name)", expecting: shape, into: $0.baseAddress!) }
            return Array(values.prefix(shape.reduce(1, *)))
        }
    }
}
