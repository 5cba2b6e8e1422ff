import Checkpointing
import Foundation
import Interop
import Kernels
import Models
import Tensor
import Testing

@Suite struct ConversionTests {
    /// transformers → checkpoint → transformers gives back every tensor bit for bit, with its name,
    /// shape and dtype, and a config transformers reads as the same model.
    @Test func huggingFaceRoundTripIsBitExact() throws {
        let source = Fixtures.path("tiny-roberta")
        let checkpoint = temporaryPath("tiny.h5"), exported = temporaryPath("exported")
        let imported = try TransformersConversion.importDirectory(source, to: checkpoint)
        #expect(imported.ignoredTensors.isEmpty)
        try TransformersConversion.exportCheckpoint(checkpoint, to: exported)

        let original = try SafeTensorsFile(path: source + "/model.safetensors")
        let again = try SafeTensorsFile(path: exported + "/model.safetensors")
        #expect(Set(again.tensors.keys) == Set(original.tensors.keys))
        for name in original.tensors.keys.sorted() {
            let (a, b) = (try original.info(name), try again.info(name))
            #expect(a.dtype == b.dtype && a.shape == b.shape, "\(name)")
            let bits = FloatDifferences(actual: try again.floats(name), expected: try original.floats(name))
            #expect(bits.isEmpty, "\(name) bits: \(bits)")
        }
        #expect(again.metadata == ["format": "pt"])
        // Read as transformers reads it (plain JSON, not our own config type): every key of the
        // source config comes back with the same value.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: exported + "/config.json"))) as! [String: Any]
        let sourceJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source + "/config.json"))) as! [String: Any]
        for (key, value) in sourceJSON {
            #expect((json[key] as? NSObject)?.isEqual(value) == true, "config.json \(key): exported \(json[key] ?? "nothing"), transformers wrote \(value)")
        }
        #expect(json["layer_norm_eps"] as? Double == 1e-5)
        #expect(json["architectures"] as? [String] == ["RobertaForMaskedLM"])
        #expect(json["transformers_version"] as? String == "5.23.0", "keys we do not model are carried through")
    }

    @Test func badHuggingFaceDirectoriesAreNamed() throws {
        let folder = temporaryPath("broken")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        #expect(message { _ = try TransformersDirectory.load(directory: folder) } == "\(folder)/config.json: cannot read the file (missing?)")
        try FileManager.default.copyItem(atPath: Fixtures.path("tiny-roberta/config.json"), toPath: folder + "/config.json")
        #expect(message { _ = try TransformersDirectory.load(directory: folder) } == "\(folder)/model.safetensors: missing (and no model.safetensors.index.json)")
        let weights = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tiny-roberta/model.safetensors")))
        try weights.prefix(weights.count - 100).write(to: URL(fileURLWithPath: folder + "/model.safetensors"))
        let text = message { _ = try TransformersDirectory.load(directory: folder) }
        #expect(text.hasPrefix("\(folder)/model.safetensors: tensor ") && text.hasSuffix("truncated?)"), "\(text)")
        // A config that disagrees with the weights.
        var config = try String(contentsOfFile: folder + "/config.json", encoding: .utf8)
        config = config.replacingOccurrences(of: "\"intermediate_size\": 64", with: "\"intermediate_size\": 48")
        try config.write(toFile: folder + "/config.json", atomically: true, encoding: .utf8)
        try weights.write(to: URL(fileURLWithPath: folder + "/model.safetensors"))
        #expect(message { _ = try TransformersDirectory.load(directory: folder) }
            == "\(folder)/model.safetensors: tensor roberta.encoder.layer.0.intermediate.dense.weight has shape [64, 32], config.json implies [48, 32]")
    }
}

func message(_ body: () throws -> Void) -> String {
    do { try body() } catch { return "\(error)" }
    return "no error"
}
