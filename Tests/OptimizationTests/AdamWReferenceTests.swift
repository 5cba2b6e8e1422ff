import Foundation
@testable import Optimization
import Tensor
import Testing

/// The optimizer against torch.optim.AdamW with PyTorch/transformers schedulers over 1000 steps
/// (Scripts/reference/make-adamw-fixture.py).
@Suite struct AdamWReferenceTests {
    struct Run: Decodable {
        let learning_rates: [Double]
        let gradient_norms: [Double]
        let parameters_after: [String: [String: [Float]]]
    }

    /// `g = c ⊙ (p − t) + 0.1 sin(0.01 (step + 1)(i + 1))` per parameter, from these starting values.
    struct Problem: Decodable {
        let shapes: [String: [Int]]
        let initial: [String: [Float]]
        let curvature: [String: [Float]]
        let target: [String: [Float]]
    }

    /// The fixture's runs; BERTIN-GPT-J's optimizer has a problem of its own under "gptj".
    struct Fixture: Decodable {
        struct GPTJCase: Decodable { let run: Run }
        let warmup_linear: Run
        let cosine_clipped: Run
        let schedules: [String: [Double]]
        let gptj: GPTJCase
    }

    /// The problems, decoded from the same file: BERTIN's at the top level, GPT-J's under "gptj".
    struct Problems: Decodable {
        let gptj: Problem
    }

    static let data = try! Data(contentsOf: Bundle.module.url(forResource: "Fixtures/adamw", withExtension: "json")!)
    static let problem = try! JSONDecoder().decode(Problem.self, from: data)
    static let gptjProblem = try! JSONDecoder().decode(Problems.self, from: data).gptj

    static let fixture = try! JSONDecoder().decode(Fixture.self, from: data)

    func expectSchedule(_ schedule: LearningRateSchedule, _ expected: [Double], _ what: String) {
        let worst = expected.indices.map { abs(Double(schedule($0)) - expected[$0]) / max(abs(expected[$0]), 1e-12) }.max()!
        #expect(worst < 1e-6, "\(what): worst relative difference \(worst)")
    }

    @Test func schedulesMatchPyTorchAndTransformers() {
        let f = Self.fixture
        expectSchedule(.warmupThenLinearDecay(peak: 1e-2, warmupSteps: 100, totalSteps: 1000), f.warmup_linear.learning_rates, "warmup + linear decay")
        expectSchedule(.cosine(peak: 5e-3, final: 5e-4, steps: 1000), f.cosine_clipped.learning_rates, "cosine")
        expectSchedule(.constant(3e-4), f.schedules["constant"]!, "constant")
        expectSchedule(.joined([.linear(from: 0, to: 6e-4, steps: 50), .cosine(peak: 6e-4, final: 0, steps: 950)], boundaries: [50]),
                       f.schedules["warmup_cosine"]!, "joined warmup + cosine")
        expectSchedule(.inverseSquareRoot(peak: 6e-4, warmupSteps: 50), f.schedules["inverse_sqrt"]!, "inverse square root")
    }

    static let bertinNames = ["embeddings.weight", "dense.weight", "dense.bias", "LayerNorm.weight", "LayerNorm.bias"]
    /// What RoBERTa says of those names (`RobertaEncoder.role(of:)`; ModelsTests checks it).
    static let bertinRoles: [String: ParameterRole] = ["dense.bias": .bias, "LayerNorm.weight": .normalizationScale, "LayerNorm.bias": .bias]

    /// Runs `problem` for 1000 steps, checking the rate and gradient norm of every step and the
    /// parameters at each snapshot; returns the optimizer for checks of its mask.
    @discardableResult
    func follow(_ problem: Problem, names: [String] = bertinNames, _ run: Run, _ configuration: AdamWConfiguration,
                decayMask: WeightDecayMask = .bertin, _ what: String) throws -> AdamW {
        let f = problem
        let store = try ParameterStore(layout: names.map { ($0, f.shapes[$0]!) }, roles: names.map { Self.bertinRoles[$0] ?? .weight })
        for name in names { try store.set(name, to: f.initial[name]!) }
        let optimizer = try AdamW(configuration: configuration, parameters: store, decayMask: decayMask)
        var worst = 0.0
        for step in 0..<1000 {
            for name in names {
                let entry = try store.entry(named: name)
                let (c, t) = (f.curvature[name]!, f.target[name]!)
                for i in 0..<entry.count {
                    let p = store.values[entry.offset + i]
                    store.gradients[entry.offset + i] = c[i] * (p - t[i]) + Float(0.1 * sin(0.01 * Double(step + 1) * Double(i + 1)))
                }
            }
            let report = try optimizer.step(store)
            #expect(abs(Double(report.learningRate) - run.learning_rates[step]) <= 1e-6 * max(run.learning_rates[step], 1e-12))
            #expect(abs(report.gradientNorm - run.gradient_norms[step]) <= 1e-5 * run.gradient_norms[step], "\(what) step \(step): gradient norm")
            if let snapshot = run.parameters_after[String(step + 1)] {
                for name in names {
                    let ours = try store.value(name).scalars
                    #expect(ours.count == snapshot[name]!.count, "\(name)")
                    for (a, e) in zip(ours, snapshot[name]!) { worst = max(worst, Double(abs(a - e)) / (Double(abs(e)) + 1e-3)) }
                }
            }
        }
        print("\(what): worst relative difference over the snapshots \(worst)")
        #expect(worst < 1e-4, "\(what): parameters drift from PyTorch's by \(worst)")
        #expect(optimizer.stepCount == 1000)
        return optimizer
    }

    func expectBERTINMask(_ optimizer: AdamW) {
        #expect(optimizer.decays("dense.weight") && optimizer.decays("embeddings.weight"))
        #expect(!optimizer.decays("dense.bias") && !optimizer.decays("LayerNorm.weight") && !optimizer.decays("LayerNorm.bias"))
    }

    @Test func bertinShapedRunFollowsPyTorch() throws {
        expectBERTINMask(try follow(Self.problem, Self.fixture.warmup_linear,
                                    AdamWConfiguration(schedule: .warmupThenLinearDecay(peak: 1e-2, warmupSteps: 100, totalSteps: 1000)), "warmup-linear"))
    }

    @Test func cosineWithClippingFollowsPyTorch() throws {
        expectBERTINMask(try follow(Self.problem, Self.fixture.cosine_clipped,
                                    AdamWConfiguration(schedule: .cosine(peak: 5e-3, final: 5e-4, steps: 1000), beta2: 0.999, weightDecay: 0.1, clipGlobalNorm: 0.5),
                                    "cosine-clipped"))
    }

    /// BERTIN-GPT-J's optimizer against torch.optim.AdamW with the gpt3 schedule as a LambdaLR, decay
    /// on ndim > 1 parameters only and clipping at 1.0.
    @Test func gpt3ScheduleAndMatrixDecayFollowPyTorch() throws {
        let names = ["wte.weight", "h.0.ln_1.weight", "h.0.ln_1.bias", "h.0.attn.q_proj.weight", "h.0.mlp.fc_in.bias", "scale.weight", "lm_head.bias"]
        let optimizer = try follow(Self.gptjProblem, names: names, Self.fixture.gptj.run,
                                   AdamWConfiguration(schedule: .warmupThenCosineDecay(peak: 1e-2, final: 1e-3, warmupSteps: 100, totalSteps: 1000),
                                                      beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, clipGlobalNorm: 1.0),
                                   decayMask: .matrices, "gpt3-matrices")
        #expect(optimizer.decays("wte.weight") && optimizer.decays("h.0.attn.q_proj.weight"))
        #expect(!optimizer.decays("scale.weight") && !optimizer.decays("h.0.ln_1.weight") && !optimizer.decays("lm_head.bias"),
                "a 1-D weight is not decayed by the ndim > 1 mask (BERTIN's RoBERTa mask would decay it)")
    }
}

extension AdamW {
    /// Whether `name` is weight-decayed (what the optimizer decided from its mask).
    func decays(_ name: String) -> Bool {
        guard let index = layout.firstIndex(where: { $0.name == name }) else { return false }
        return decaying[index]
    }
}
