import Testing
@testable import Tensor

/// Every primitive's forward value and gradient against PyTorch (fixture made by
/// Scripts/reference/make-tensor-fixtures.py from float64 references of the same float32 inputs).
@Suite struct PrimitiveReferenceTests {
    // Float32 arithmetic against a float64 truth: a few ulps of the operands' scale.
    static let relative = 1e-5
    static let absolute = 1e-6

    @Test func fixturesArePresent() {
        #expect(Fixtures.primitives.count >= 80)
    }

    @Test(arguments: Fixtures.primitives)
    func forwardAndGradient(_ fixture: PrimitiveCase) throws {
        let inputs = try fixture.inputs.map { try $0.tensor }
        let (value, gradients) = try valueWithGradient(at: inputs, seed: try fixture.seed.tensor) { try fixture.apply($0) }
        // Scores of ±1e4 give probabilities and logs whose float32 rounding is relative to 1e4.
        let scale = Double(fixture.inputs.flatMap(\.data).map { abs($0) }.max() ?? 1)
        let absolute = Self.absolute * max(1, scale)
        expectClose(value, fixture.output, relative: Self.relative, absolute: absolute, "\(fixture.name) value")
        #expect(gradients.count == fixture.gradients.count, "\(fixture.name): \(gradients.count) gradients, the fixture has \(fixture.gradients.count)")
        for (index, (gradient, expected)) in zip(gradients, fixture.gradients).enumerated() {
            expectClose(gradient, expected, relative: 1e-4, absolute: 1e-5 * max(1, scale), "\(fixture.name) gradient \(index)")
        }
    }
}
