import Checkpointing
import Foundation
import Optimization
import Tensor
import Testing

/// A fresh temporary folder per test.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("bertin-checkpoint-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func message(_ body: () throws -> Void) -> String {
    do { try body() } catch { return "\(error)" }
    return "no error"
}

@Suite struct CheckpointTests {
    let layout: [(name: String, shape: [Int])] = [("layer.weight", [2, 3]), ("layer.bias", [3])]
    /// What a model would say of them (AdamW's default mask decays by role).
    let roles: [ParameterRole] = [.weight, .bias]

    /// A store and an optimizer that has taken two steps, so every buffer holds distinct values.
    func trainedState() throws -> (ParameterStore, AdamW) {
        let store = try ParameterStore(layout: layout, roles: roles)
        try store.set("layer.weight", to: [0.5, -1.25, 2, 1234.5678, -0.001, 3])
        try store.set("layer.bias", to: [0.1, 0.2, 0.3])
        let optimizer = try AdamW(configuration: AdamWConfiguration(schedule: .constant(0.01)), parameters: store)
        for step in 0..<2 {
            for entry in store.entries {
                for i in entry.offset..<(entry.offset + entry.count) { store.gradients[i] = Float(i + step) * 0.1 }
            }
            try optimizer.step(store)
        }
        return (store, optimizer)
    }

    func bits(_ buffer: UnsafeMutableBufferPointer<Float>) -> [UInt32] { buffer.map(\.bitPattern) }

    @Test func roundTripIsBitExact() throws {
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("step-2.h5").path
        let (store, optimizer) = try trainedState()
        let progress = TrainingProgress(step: 2, seed: .max - 5, dataPosition: ["rows": 640, "epoch": 1])
        try Checkpoint.write(to: path, parameters: store, optimizer: optimizer, progress: progress, modelConfig: "{\"a\": 1}", recipe: "steps: 2\nname: é")
        let (restored, resumed) = (try ParameterStore(layout: layout, roles: roles), try AdamW(configuration: optimizer.configuration, parameters: try ParameterStore(layout: layout, roles: roles)))
        let contents = try Checkpoint.read(from: path, into: restored, optimizer: resumed)
        #expect(contents == CheckpointContents(progress: progress, modelConfig: "{\"a\": 1}", recipe: "steps: 2\nname: é", hasOptimizerState: true))
        #expect(bits(restored.values) == bits(store.values))
        #expect(bits(resumed.firstMoment.values) == bits(optimizer.firstMoment.values))
        #expect(bits(resumed.secondMoment.values) == bits(optimizer.secondMoment.values))
        #expect(resumed.stepCount == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["step-2.h5"], "no temporary file is left")
    }

    @Test func readsAFileWrittenByH5py() throws {
        let path = Bundle.module.url(forResource: "Fixtures/h5py-written", withExtension: "h5")!.path
        let store = try ParameterStore(layout: layout, roles: roles)
        let optimizer = try AdamW(configuration: AdamWConfiguration(schedule: .constant(0.01)), parameters: store)
        let contents = try Checkpoint.read(from: path, into: store, optimizer: optimizer)
        #expect(try store.value("layer.weight").scalars == [0, 0.25, 0.5, 0.75, 1, 1.25])
        #expect(try store.value("layer.bias").scalars == [0, 0.25, 0.5])
        let bias = try store.entry(named: "layer.bias")
        #expect(Array(optimizer.secondMoment.values[bias.offset..<(bias.offset + 3)]) == [200, 200.25, 200.5])
        #expect(optimizer.stepCount == 3)
        #expect(contents.progress == TrainingProgress(step: 3, seed: .max - 1, dataPosition: ["rows": 12]))
        #expect(contents.recipe == "name: h5py-fixture\nsteps: 3\n")
        #expect(contents.modelConfig == "{\"model_type\": \"test\"}")
    }

    @Test func truncatedFileIsNamed() throws {
        let path = try temporaryFolder().appendingPathComponent("c.h5").path
        let (store, optimizer) = try trainedState()
        try Checkpoint.write(to: path, parameters: store, optimizer: optimizer, progress: TrainingProgress(step: 2, seed: 1), modelConfig: "{}", recipe: "")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        let text = message { _ = try Checkpoint.read(from: path, into: try ParameterStore(layout: layout, roles: roles)) }
        // Half the file loses HDF5's superblock's end-of-file address: the library refuses to open it.
        #expect(text == "\(path): not a readable HDF5 file (truncated or corrupt?)", "\(text)")
        #expect(message { _ = try Checkpoint.read(from: path + ".missing", into: store) } == "\(path).missing: no such file")
    }

    @Test func flippedBitFailsTheChecksum() throws {
        let path = try temporaryFolder().appendingPathComponent("c.h5").path
        let (store, _) = try trainedState()
        try Checkpoint.write(to: path, parameters: store, optimizer: nil, progress: TrainingProgress(step: 2, seed: 1), modelConfig: "{}", recipe: "")
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let weight = try store.value("layer.weight").scalars
        let pattern = weight.withUnsafeBytes { Data($0) }
        let found = try #require(data.range(of: pattern), "the weight's bytes are stored contiguously")
        data[found.lowerBound + 13] ^= 0x04
        try data.write(to: URL(fileURLWithPath: path))
        let text = message { _ = try Checkpoint.read(from: path, into: try ParameterStore(layout: layout, roles: roles)) }
        #expect(text == "\(path): dataset /params/layer.weight: reading failed (checksum mismatch or corrupt data)")
    }

    @Test func mismatchedModelsAreNamed() throws {
        let path = try temporaryFolder().appendingPathComponent("c.h5").path
        let (store, _) = try trainedState()
        try Checkpoint.write(to: path, parameters: store, optimizer: nil, progress: TrainingProgress(step: 2, seed: 1), modelConfig: "{}", recipe: "")
        let wider = try ParameterStore(layout: [("layer.weight", [2, 4]), ("layer.bias", [3])])
        #expect(message { _ = try Checkpoint.read(from: path, into: wider) }
            == "\(path): dataset /params/layer.weight: has shape [2, 3], expected [2, 4]")
        let larger = try ParameterStore(layout: layout + [("other.weight", [1])])
        #expect(message { _ = try Checkpoint.read(from: path, into: larger) } == "\(path): dataset /params/other.weight: missing")
        let smaller = try ParameterStore(layout: [("layer.weight", [2, 3])])
        #expect(message { _ = try Checkpoint.read(from: path, into: smaller) }
            == "\(path): dataset /params/layer.bias: is not a parameter of this model (a different architecture or size?)")
        let optimizer = try AdamW(configuration: AdamWConfiguration(schedule: .constant(1)), parameters: store)
        #expect(message { _ = try Checkpoint.read(from: path, into: store, optimizer: optimizer) }
            == "\(path): holds no optimizer state (converted weights?): cannot resume training from it")
    }

    @Test func failedWriteLeavesThePreviousCheckpoint() throws {
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("latest.h5").path
        let (store, optimizer) = try trainedState()
        try Checkpoint.write(to: path, parameters: store, optimizer: optimizer, progress: TrainingProgress(step: 2, seed: 1), modelConfig: "{}", recipe: "")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        // A parameter HDF5 cannot name fails the write after other datasets were written.
        let broken = try ParameterStore(layout: layout + [("", [1])])
        #expect(throws: CheckpointError.self) {
            try Checkpoint.write(to: path, parameters: broken, optimizer: nil, progress: TrainingProgress(step: 3, seed: 1), modelConfig: "{}", recipe: "")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["latest.h5"], "the partial file is removed")
    }
}
