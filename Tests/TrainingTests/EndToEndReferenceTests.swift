import Foundation
import Interop
import Models
import Objectives
import Optimization
import Tensor
import Testing
import Training

/// llm.c's test_gpt2 for both families: transformers and torch.optim.AdamW on one batch
/// (Scripts/reference/make-training-fixture.py) against our objective and `Trainer`: the loss and
/// every gradient at the start, then ten updates with the recipe's schedule, decay mask and
/// clipping (each step's loss, rate and gradient norm, and every parameter at the end).
///
/// Tolerances. Both sides compute in Float32 with different summation orders; one forward and
/// backward of these 2-layer models agrees to ~1e-6 relative (ModelsTests' reference tests), so the
/// start is held to 1e-5 (loss) and 1e-4 of each tensor's scale (gradients). Over the ten updates
/// those differences feed back through the weights; Adam divides each gradient by its own running
/// size, so an update's error stays near the gradient's relative error (not the learning rate's
/// size) except where a gradient is near zero: per step 1e-4 relative on the loss and the norm, and
/// at the end each parameter within 1e-3 of its tensor's scale (ten updates at a peak rate of
/// 1e-2 move parameters by ~5e-2; the bound is 2% of that movement).
@Suite struct EndToEndReferenceTests {
    struct Reference {
        let loaded: TransformersDirectory.Loaded
        let expected: SafeTensorsFile
        let batch: TokenBatch

        init(_ family: String) throws {
            let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
            loaded = try TransformersDirectory.load(directory: fixtures.appendingPathComponent("train-\(family)").path)
            let file = try SafeTensorsFile(path: fixtures.appendingPathComponent("train-\(family)-expected.safetensors").path)
            func index(_ name: String) throws -> IndexTensor {
                try IndexTensor(shape: try file.info(name).shape, indices: try file.integers(name).map { Int32($0) })
            }
            expected = file
            batch = try TokenBatch(inputIDs: try index("input_ids"), attentionMask: try index("attention_mask"), labels: try index("labels"))
        }
    }

    @Test func robertaWithBERTINsOptimizer() throws {
        let optimizer = AdamWConfiguration(schedule: .warmupThenLinearDecay(peak: 1e-2, warmupSteps: 2, totalSteps: 10),
                                           beta1: 0.9, beta2: 0.98, epsilon: 1e-6, weightDecay: 0.01, clipGlobalNorm: 1)
        try follow(try Reference("roberta"), optimizer: optimizer, decayMask: .bertin)
    }

    @Test func gptjWithMeshTransformerJAXsOptimizer() throws {
        let optimizer = AdamWConfiguration(schedule: .warmupThenCosineDecay(peak: 1e-2, final: 1e-3, warmupSteps: 2, totalSteps: 10),
                                           beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, clipGlobalNorm: 1)
        try follow(try Reference("gptj"), optimizer: optimizer, decayMask: .matrices)
    }

    func follow(_ reference: Reference, optimizer: AdamWConfiguration, decayMask: WeightDecayMask) throws {
        let objective = try ObjectiveRegistry.scoring(reference.loaded.model)
        try follow(objective, reference, optimizer: optimizer, decayMask: decayMask)
    }

    func follow<Objective: TrainingObjective>(_ objective: Objective, _ reference: Reference, optimizer: AdamWConfiguration,
                                              decayMask: WeightDecayMask) throws where Objective.Batch == TokenBatch {
        let (store, expected, batch) = (reference.loaded.parameters, reference.expected, reference.batch)
        // The start: loss and every gradient.
        store.zeroGradients()
        let loss = try store.valueWithGradient { p in try objective.loss(p, batch: batch, mode: .evaluation).loss }
        let expectedLoss = try expected.floats("loss")[0]
        #expect(abs(loss - expectedLoss) <= 1e-5 * abs(expectedLoss), "loss \(loss), torch \(expectedLoss)")
        let references = try store.entries.map { try expected.floats("gradients." + $0.name) }
        let scale = (references.joined().reduce(0.0) { $0 + Double($1) * Double($1) } / Double(store.parameterCount)).squareRoot()
        for (entry, reference) in zip(store.entries, references) {
            let ours = try store.gradient(entry.name).scalars
            if reference.map({ Double(abs($0)) }).max() ?? 0 <= 1e-4 * scale {
                // Zero in exact arithmetic (RoBERTa's key bias: softmax ignores what it adds to a
                // row of scores): both sides hold rounding noise, so ours must vanish on the scale too.
                let largest = ours.map { Double(abs($0)) }.max() ?? 0
                #expect(largest <= 1e-4 * scale, "gradient of \(entry.name) should vanish: max |ours| \(largest), gradient rms \(scale)")
                continue
            }
            let ratio = worst(ours, reference, relative: 1e-4)
            #expect(ratio <= 1, "gradient of \(entry.name): worst element at \(ratio)x the bound")
        }
        // Ten updates on the same batch.
        let trainer = try Trainer(objective: objective, optimizer: optimizer, decayMask: decayMask, seed: 0)
        #expect(trainer.parameters.entries == store.entries)
        _ = trainer.parameters.values.update(from: store.values)
        let (losses, rates, norms) = (try expected.floats("losses"), try expected.floats("learning_rates"), try expected.floats("gradient_norms"))
        for step in 0..<losses.count {
            let result = try trainer.step([[batch]])
            #expect(abs(result.loss - losses[step]) <= 1e-4 * abs(losses[step]), "step \(step): loss \(result.loss), torch \(losses[step])")
            #expect(abs(result.learningRate - rates[step]) <= 1e-6 * max(rates[step], 1e-9), "step \(step): rate \(result.learningRate), torch \(rates[step])")
            #expect(abs(result.gradientNorm - Double(norms[step])) <= 1e-4 * Double(norms[step]), "step \(step): norm \(result.gradientNorm), torch \(norms[step])")
        }
        var worstRatio = 0.0
        for entry in trainer.parameters.entries {
            let ratio = worst(try trainer.parameters.value(entry.name).scalars, try expected.floats("final." + entry.name), relative: 1e-3)
            worstRatio = max(worstRatio, ratio)
            #expect(ratio <= 1, "\(entry.name) after \(losses.count) updates: worst element at \(ratio)x the bound")
        }
        print("\(reference.loaded.model.modelType): after \(losses.count) updates the worst parameter is at \(worstRatio)x the 1e-3 bound")
    }

    /// The worst element's |a − e| / (relative·|e| + relative·rms(e)): ≤ 1 passes. The rms floor
    /// judges elements near zero on their tensor's scale.
    func worst(_ actual: [Float], _ expected: [Float], relative: Double) -> Double {
        guard actual.count == expected.count, !expected.isEmpty else { return .infinity }
        let rms = (expected.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(expected.count)).squareRoot()
        return zip(actual, expected).reduce(0.0) { worst, pair in
            let difference = abs(Double(pair.0) - Double(pair.1))
            return difference.isNaN ? .infinity : max(worst, difference / (relative * abs(Double(pair.1)) + relative * rms + .leastNonzeroMagnitude))
        }
    }
}
