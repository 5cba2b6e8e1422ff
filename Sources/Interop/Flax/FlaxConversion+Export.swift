import AtomicFiles
import CheckpointedModels
import Checkpointing
import Foundation
import Models

extension FlaxConversion {
    /// A tree of a flax state dict to write: maps of named children and array leaves.
    final class Node {
        var children: [(key: String, node: Node)] = []
        var leaf: (shape: [Int], dtype: String, byteCount: Int, bytes: () throws -> [UInt8])?

        /// The child `key`, made when missing (children stay in the order they were first named).
        func child(_ key: String) -> Node {
            if let found = children.first(where: { $0.key == key }) { return found.node }
            let node = Node()
            children.append((key, node))
            return node
        }

        /// Places a leaf at a "/"-joined path under this node.
        func insert(_ path: String, shape: [Int], dtype: String, byteCount: Int, bytes: @escaping () throws -> [UInt8]) {
            path.split(separator: "/").reduce(self) { $0.child(String($1)) }.leaf = (shape, dtype, byteCount, bytes)
        }

        /// jax flattens dicts with their keys sorted (so flax writes parameter trees that way):
        /// sorts every level below this one by the keys' bytes.
        func sortedByKey() -> Node {
            children.sort { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            for child in children { _ = child.node.sortedByKey() }
            return self
        }

        func write(to writer: inout MessagePackWriter) throws {
            if let leaf {
                // flax's ndarray: ext type 1 holding msgpack (shape, dtype name, C-order bytes).
                let prefix = MessagePackWriter.arrayHeader(3) + MessagePackWriter.arrayHeader(leaf.shape.count)
                    + leaf.shape.flatMap { MessagePackWriter.unsigned(UInt64($0)) } + MessagePackWriter.string(leaf.dtype)
                    + MessagePackWriter.binaryHeader(leaf.byteCount)
                try writer.raw(MessagePackWriter.extHeader(type: 1, length: prefix.count + leaf.byteCount) + prefix)
                let bytes = try leaf.bytes()
                try bytes.withUnsafeBytes { try writer.rawLarge($0) }
                return
            }
            try writer.raw(MessagePackWriter.mapHeader(children.count))
            for (key, node) in children {
                try writer.raw(MessagePackWriter.string(key))
                try node.write(to: &writer)
            }
        }
    }

    static func floatBytes(_ values: [Float]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }
    static func int32Bytes(_ value: Int) -> [UInt8] { withUnsafeBytes(of: Int32(truncatingIfNeeded: value).littleEndian) { Array($0) } }

    /// Our checkpoint → a BERTIN checkpoint folder: config.json and flax_model.msgpack (what
    /// `FlaxRobertaForMaskedLM.from_pretrained` loads), and when the checkpoint has optimizer
    /// state, optimizer_state.msgpack (the state of BERTIN's `optax.adamw(schedule, mask=…)`:
    /// Adam's count, mu and nu, the mask's empty state, the schedule's count) and
    /// training_state.json. Tensors are read one at a time, as each is written.
    public static func exportCheckpoint(_ path: String, to directory: String) throws {
        let configJSON = try Checkpoint.modelConfig(at: path)
        let model = try model(configPath: path, data: Data(configJSON.utf8))
        let store = try model.makeParameterStore()
        let reader = try Checkpoint.ParameterReader(path: path, layout: model.layout)
        let paths = try paths(of: store)
        func tree(slot: String?) -> Node {
            let root = Node()
            for (entry, flax) in zip(store.entries, paths) {
                root.insert(flax.path, shape: flax.flaxShape(entry.shape), dtype: "float32", byteCount: 4 * entry.count) {
                    let values = try reader.floats(entry.name, shape: entry.shape, slot: slot)
                    return floatBytes(flax.transposed ? transpose(values, rows: entry.shape[0], columns: entry.shape[1]) : values)
                }
            }
            return root.sortedByKey()
        }
        let folder = URL(fileURLWithPath: directory)
        try TransformersDirectory.writeConfig(model: model, configJSON: configJSON, dtype: "float32", to: folder.appendingPathComponent("config.json").path)
        try write(tree(slot: nil), to: folder.appendingPathComponent(parametersFile).path)
        guard reader.hasOptimizerState else { return }
        let count = try reader.optimizerCount()
        let state = Node()
        let adam = state.child("0")
        adam.child("count").leaf = ([], "int32", 4, { int32Bytes(count) })
        adam.children += [("mu", tree(slot: "mu")), ("nu", tree(slot: "nu"))]
        _ = state.child("1").child("inner_state")  // optax.masked(add_decayed_weights): an empty state
        state.child("2").child("count").leaf = ([], "int32", 4, { int32Bytes(count) })
        try write(state, to: folder.appendingPathComponent(optimizerFile).path)
        let trainingState = Data("{\"step\": \(try reader.step())}".utf8)
        let trainingStatePath = folder.appendingPathComponent(trainingStateFile).path
        do { try AtomicFile.write(to: trainingStatePath) { try $0.write(contentsOf: trainingState) } } catch {
            throw InteropError.invalidFile(path: trainingStatePath, reason: "cannot write: \(error)")
        }
    }

    static func write(_ tree: Node, to path: String) throws {
        do {
            try AtomicFile.write(to: path) { handle in
                var writer = MessagePackWriter { bytes in
                    if bytes.count > 0 { try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: bytes.baseAddress!), count: bytes.count, deallocator: .none)) }
                }
                try tree.write(to: &writer)
                try writer.flush()
            }
        } catch let failure as AtomicFile.Failure {
            throw InteropError.invalidFile(path: failure.path, reason: failure.reason)
        }
    }
}
