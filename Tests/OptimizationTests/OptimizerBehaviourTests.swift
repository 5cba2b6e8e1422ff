import Foundation
import Optimization
import Tensor
import TestSupport
import Testing

@Suite struct OptimizerBehaviourTests {
    @Test func accumulationAveragesMicroBatchGradients() throws {
        let store = try ParameterStore(layout: [("w", [3])])
        try store.set("w", to: [0.5, -1, 2])
        let inputs: [[Float]] = [[1, 2, 3], [-4, 0.5, 1], [0.25, 0.75, -2]]
        let mean = try store.accumulateGradients(microBatches: 3) { index, p in
            try (try p["w"] * (try Tensor(shape: [3], scalars: inputs[index]))).sum()
        }
        let expected = (0..<3).map { c in (inputs[0][c] + inputs[1][c] + inputs[2][c]) / 3 }
        let gradient = try store.gradient("w").scalars
        #expect(zip(gradient, expected).allSatisfy { abs($0 - $1) <= 1e-6 * abs($1) })
        let losses = inputs.map { x in zip(x, [Float(0.5), -1, 2]).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
        #expect(abs(mean - losses.reduce(0, +) / 3) < 1e-6)
        // A second accumulation starts from zero, it does not add to the first.
        try store.accumulateGradients(microBatches: 1) { _, p in try (try p["w"] * (try Tensor(shape: [3], scalars: inputs[0]))).sum() }
        #expect(try store.gradient("w").scalars == inputs[0])
    }

    @Test func nonFiniteGradientChangesNothing() throws {
        let store = try ParameterStore(layout: [("w", [2]), ("b", [2])], roles: [.weight, .bias])
        try store.set("w", to: [1, 2])
        let optimizer = try AdamW(configuration: AdamWConfiguration(schedule: .constant(0.1)), parameters: store)
        store.gradients[0] = .nan
        #expect(throws: OptimizationError.self) { try optimizer.step(store) }
        #expect(try store.value("w").scalars == [1, 2])
        #expect(optimizer.stepCount == 0)
        #expect(optimizer.firstMoment.values.allSatisfy { $0 == 0 })
    }

    @Test func invalidConfigurationsAreRefused() {
        #expect(throws: OptimizationError.invalidSchedule("joining 2 schedules needs 1 boundaries, got 0")) {
            try LearningRateSchedule.joined([.constant(1), .constant(2)], boundaries: []).validate()
        }
        #expect(throws: OptimizationError.self) {
            _ = try AdamW(configuration: AdamWConfiguration(schedule: .constant(1), beta2: 1), parameters: try ParameterStore(layout: [("w", [1])]))
        }
    }

    @Test func theBERTINMaskNeedsRoles() {
        #expect(throws: OptimizationError.self) {
            _ = try AdamW(configuration: AdamWConfiguration(schedule: .constant(1)), parameters: try ParameterStore(layout: [("w", [1])]), decayMask: .bertin)
        }
    }
}
