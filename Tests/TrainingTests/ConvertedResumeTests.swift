import CheckpointedModels
import Checkpointing
import Foundation
import Interop
import Objectives
import Tensor
import Training
import Models
import Optimization
import Testing
import TestSupport

extension MPITrainingTests {
    /// A checkpoint converted from another stack (`bertin convert --from-flax` writes BERTIN's
    /// optimizer state and step, but no recipe, seed or data position of ours) continues with
    /// `train --resume`: from its step, with its Adam moments and count, the rows from their first
    /// batch. Made here from a tiny run's step 8 written the way the converter writes.
    @Test func aConvertedCheckpointResumes() throws {
        let steps = ["phases.0.steps=12", "phases.1.steps=2", "phases.1.optimizer_state=keep", "checkpoint_every=8"]
        let source = Self.folder("converted-source")
        #expect(try Self.train(ranks: nil, output: source, steps).status == 0)
        let original = source.appendingPathComponent("step-00000008.h5").path
        let model = try ModelRegistry.model(checkpoint: original)
        let store = try model.makeParameterStore()
        let optimizer = try AdamW(configuration: AdamWConfiguration(schedule: .constant(0)), parameters: store, decayMask: .all)
        let contents = try Checkpoint.read(from: original, into: store, optimizer: optimizer)
        let run = Self.folder("converted-run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        let converted = run.appendingPathComponent("step-00000008.h5").path
        try Checkpoint.write(to: converted, parameters: store, optimizer: optimizer, progress: TrainingProgress(step: 8, seed: 0),
                             modelConfig: contents.modelConfig, recipe: "")

        let resumed = try Self.train(ranks: nil, output: run, steps, resume: true)
        #expect(resumed.status == 0, "\(resumed.output.suffix(2000))")
        #expect(resumed.output.contains("\(converted) was converted (it holds no recipe): its data position is not ours, so the rows start from their first batch"))
        let end = run.appendingPathComponent("step-00000014.h5").path
        let after = try model.makeParameterStore()
        let continued = try AdamW(configuration: AdamWConfiguration(schedule: .constant(0)), parameters: after, decayMask: .all)
        let final = try Checkpoint.read(from: end, into: after, optimizer: continued)
        #expect(final.progress.step == 14 && continued.stepCount == 14, "step \(final.progress.step), count \(continued.stepCount)")
        #expect(final.progress.seed == contents.progress.seed, "the recipe's seed, not the converted 0")
        // It trained on from the converted state: its metrics start at step 9.
        let steps9 = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").compactMap { line -> Int? in
                guard let object = try? JSONSerialization.jsonObject(with: Data(String(line).utf8)) as? [String: Any], object["loss"] != nil else { return nil }
                return object["step"] as? Int
            }
        #expect(steps9.first == 9 && steps9.last == 14, "\(steps9)")
    }
}

/// BERTIN-GPT-J-6B's format, resumed: the tiny mesh-transformer-jax fixture (4 shards, Adam count 7)
/// converted and trained on, its Adam state continuing.
@Suite struct MeshTransformerResumeTests {
    @Test func aConvertedMeshTransformerCheckpointTrainsOn() throws {
        let fixtures = MPITrainingTests.root.appendingPathComponent("Tests/ModelsTests/Fixtures")
        let path = MPITrainingTests.folder("mtj").appendingPathComponent("step-00000007.h5").path
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        let imported = try MeshTransformerConversion.importCheckpoint(fixtures.appendingPathComponent("mtj-gptj/step_7").path,
                                                                      config: fixtures.appendingPathComponent("tiny-gptj/config.json").path, to: path)
        guard let model = imported.model as? any LanguageModel else { Issue.record("not a language model"); return }
        let trainer = try Trainer(resumingFrom: path, objective: CausalLanguageModeling(model: model),
                                  optimizer: AdamWConfiguration(schedule: .constant(1e-3), weightDecay: 0.1), decayMask: .matrices)
        #expect(trainer.step == 7 && trainer.optimizer.stepCount == 7)
        let ids = (0..<24).map { Int32(3 + ($0 * 7) % 90) }
        let batch = try TokenBatch(inputIDs: try IndexTensor(shape: [2, 12], indices: ids), attentionMask: try IndexTensor(shape: [2, 12], indices: Array(repeating: 1, count: 24)),
                                   labels: try IndexTensor(shape: [2, 12], indices: ids))
        var losses: [Float] = []
        for _ in 0..<5 { losses.append(try trainer.step([[batch]]).loss) }
        print("mesh-transformer-jax checkpoint trained on: losses \(losses)")
        #expect(trainer.step == 12 && trainer.optimizer.stepCount == 12)
        #expect(losses.allSatisfy(\.isFinite) && losses.last! < losses.first!, "\(losses)")
    }
}
