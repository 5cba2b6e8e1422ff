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

        /// The parameter `name`, which must have `shape`; with `slot` ("mu", "nu"), that optimizer
        /// state of it instead.
        public func floats(_ name: String, shape: [Int], slot: String? = nil) throws -> [Float] {
            var values = [Float](repeating: 0, count: max(1, shape.reduce(1, *)))
            let dataset = slot.map { "/optimizer/\($0)/\(name)" } ?? "/params/\(name)"
            try values.withUnsafeMutableBufferPointer { try file.readFloats(at: dataset, expecting: shape, into: $0.baseAddress!) }
            return Array(values.prefix(shape.reduce(1, *)))
        }

        /// Whether the checkpoint holds optimizer state (converted weights do not).
        public var hasOptimizerState: Bool { file.exists("/optimizer") }

        /// Updates the optimizer had applied.
        public func optimizerCount() throws -> Int { Int(try Checkpoint.single(file, "/optimizer/count")) }

        /// The training step the checkpoint was written at.
        public func step() throws -> Int { Int(try Checkpoint.single(file, "/progress/step")) }
    }
}
