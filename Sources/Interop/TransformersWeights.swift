import Foundation

/// The weights of a transformers directory: one `model.safetensors`, or several shards listed by
/// `model.safetensors.index.json` (`{"weight_map": {tensor: file}}`), as `save_pretrained` writes
/// them. Shards are memory-mapped; a tensor is read only when asked for.
struct TransformersWeights {
    let folder: URL
    /// Tensor name → the file holding it.
    let files: [String: SafeTensorsFile]

    init(directory: String) throws {
        folder = URL(fileURLWithPath: directory)
        let single = folder.appendingPathComponent("model.safetensors").path
        let index = folder.appendingPathComponent("model.safetensors.index.json").path
        let manager = FileManager.default
        if manager.fileExists(atPath: single) {
            let file = try SafeTensorsFile(path: single)
            files = file.tensors.keys.reduce(into: [:]) { $0[$1] = file }
        } else if manager.fileExists(atPath: index) {
            guard let data = manager.contents(atPath: index),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let map = object["weight_map"] as? [String: String] else {
                throw InteropError.invalidFile(path: index, reason: "is not a safetensors index (no \"weight_map\" of tensor → file)")
            }
            var shards: [String: SafeTensorsFile] = [:]
            var files: [String: SafeTensorsFile] = [:]
            for (tensor, shard) in map.sorted(by: { $0.key < $1.key }) {
                guard !shard.contains("/") else { throw InteropError.invalidFile(path: index, reason: "shard \(shard) is not a file of the folder") }
                if shards[shard] == nil { shards[shard] = try SafeTensorsFile(path: folder.appendingPathComponent(shard).path) }
                guard shards[shard]!.tensors[tensor] != nil else {
                    throw InteropError.invalidFile(path: folder.appendingPathComponent(shard).path, reason: "has no tensor \(tensor), which \(index) places there")
                }
                files[tensor] = shards[shard]
            }
            self.files = files
        } else {
            let here = folder
            let other = ["pytorch_model.bin", "pytorch_model.bin.index.json"].first { manager.fileExists(atPath: here.appendingPathComponent($0).path) }
            throw InteropError.invalidFile(path: single, reason: other.map {
                "missing; the folder has \($0) (PyTorch pickles are not read: save it with save_pretrained(safe_serialization=True))"
            } ?? "missing (and no model.safetensors.index.json)")
        }
    }

    var names: [String] { files.keys.sorted() }

    func info(_ name: String) throws -> SafeTensorsFile.TensorInfo {
        guard let file = files[name] else { throw InteropError.invalidFile(path: folder.path, reason: "has no tensor \(name)") }
        return try file.info(name)
    }

    func floats(_ name: String) throws -> [Float] {
        guard let file = files[name] else { throw InteropError.invalidFile(path: folder.path, reason: "has no tensor \(name)") }
        return try file.floats(name)
    }

    func path(of name: String) -> String { files[name]?.path ?? folder.path }
}
