import Foundation
import Optimization
import Tensor
import Testing

/// BERTIN-GPT-J-6B's optimizer against torch.optim.AdamW with the gpt3 schedule as a LambdaLR, decay
/// on ndim > 1 parameters only and clipping at 1.0, for 1000 steps (make-adamw-fixture.py, "gptj").
@Suite struct GPTJOptimizerReferenceTests {
    struct Problem: Decodable {
        struct Run: Decodable {
            let learning_rates: [Double]
            let gradient_norms: [Double]
            let parameters_after: [String: [String: [Float]]]
        }
        let shapes: [String: [Int]]
        let initial: [String: [Float]]
        let curvature: [String: [Float]]
        let target: [String: [Float]]
        let run: Run
    }

    struct Fixture: Decodable { let gptj: Problem }

    @Test func gpt3ScheduleAndMatrixDecayFollowPyTorch() throws {
        let url = Bundle.module.url(forResource: "Fixtures/adamw", withExtension: "json")!
        let f = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url)).gptj
        let names = ["wte.weight", "h.0.ln_1.weight", "h.0.ln_1.bias", "h.0.attn.q_proj.weight", "h.0.mlp.fc_in.bias", "scale.weight", "lm_head.bias"]
        let store = try ParameterStore(layout: names.map { ($0, f.shapes[$0]!) })
        for name in names { try store.set(name, to: f.initial[name]!) }
        let schedule = LearningRateSchedule.warmupThenCosineDecay(peak: 1e-2, final: 1e-3, warmupSteps: 100, totalSteps: 1000)
        let optimizer = try AdamW(configuration: AdamWConfiguration(schedule: schedule, beta1: 0.9, beta2: 0.999, epsilon: 1e-8,
                                                                    weightDecay: 0.1, clipGlobalNorm: 1.0),
                                  parameters: store, decayMask: .matrices)
        #expect(optimizer.decays("wte.weight") && optimizer.decays("h.0.attn.q_proj.weight"))
        #expect(!optimizer.decays("scale.weight") && !optimizer.decays("h.0.ln_1.weight") && !optimizer.decays("lm_head.bias"),
                "a 1-D weight is not decayed by the ndim > 1 mask (BERTIN's RoBERTa mask would decay it)")
        var worst = 0.0
        for step in 0..<1000 {
            for name in names {
                let entry = try store.entry(named: name)
                let (c, t) = (f.curvature[name]!, f.target[name]!)
                for i in 0..<entry.count {
                    store.gradients[entry.offset + i] = c[i] * (store.values[entry.offset + i] - t[i]) + Float(0.1 * sin(0.01 * Double(step + 1) * Double(i + 1)))
                }
            }
            let report = try optimizer.step(store)
            #expect(abs(Double(report.learningRate) - f.run.learning_rates[step]) <= 1e-6 * max(f.run.learning_rates[step], 1e-12), "step \(step): rate")
            #expect(abs(report.gradientNorm - f.run.gradient_norms[step]) <= 1e-5 * f.run.gradient_norms[step], "step \(step): gradient norm")
            if let snapshot = f.run.parameters_after[String(step + 1)] {
                for name in names {
                    for (a, e) in zip(try store.value(name).scalars, snapshot[name]!) { worst = max(worst, Double(abs(a - e)) / (Double(abs(e)) + 1e-3)) }
                }
            }
        }
        print("gptj optimizer: worst relative difference over the snapshots \(worst)")
        #expect(worst < 1e-4)
    }
}
