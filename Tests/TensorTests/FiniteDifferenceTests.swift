import Testing
@testable import Tensor

/// Central finite differences of L(x) = Σ seed ⊙ f(x) against the tape's gradient, for every
/// fixture case small enough to perturb element by element.
///
/// The tensor module is Float32-only, so f is evaluated in Float32 and L is accumulated in
/// Double; with a step of 1e-2·max(1, |x|) the rounding noise in the quotient is about 1e-4 of
/// the gradient's scale and the truncation error O(h²), hence the tolerances below.
@Suite struct FiniteDifferenceTests {
    static var cases: [PrimitiveCase] {
        Fixtures.primitives.filter { fixture in
            // 1e4-magnitude rows probe forward stability; a step cannot resolve them in Float32.
            !fixture.name.contains("large_magnitude") && fixture.inputs.reduce(0) { $0 + $1.data.count } <= 400
        }
    }

    @Test func coversNearlyEveryFixture() {
        #expect(Self.cases.count >= 75)
    }

    @Test(arguments: cases)
    func gradientMatchesFiniteDifference(_ fixture: PrimitiveCase) throws {
        let inputs = try fixture.inputs.map { try $0.tensor }
        let seed = fixture.seed.data
        let (_, gradients) = try valueWithGradient(at: inputs, seed: try fixture.seed.tensor) { try fixture.apply($0) }

        func objective(_ points: [Tensor]) throws -> Double {
            let output = try fixture.apply(points).scalars
            return zip(output, seed).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }

        for (inputIndex, input) in fixture.inputs.enumerated() {
            var numeric = [Float](repeating: 0, count: input.data.count)
            for element in input.data.indices {
                let step = 1e-2 * max(1, abs(input.data[element]))
                var plus = input.data, minus = input.data
                plus[element] += step
                minus[element] -= step
                var pointsPlus = inputs, pointsMinus = inputs
                pointsPlus[inputIndex] = try Tensor(shape: input.shape, scalars: plus)
                pointsMinus[inputIndex] = try Tensor(shape: input.shape, scalars: minus)
                let actualStep = Double(plus[element]) - Double(minus[element])
                numeric[element] = Float((try objective(pointsPlus) - objective(pointsMinus)) / actualStep)
            }
            let (ratio, difference) = closeness(gradients[inputIndex].scalars, numeric, relative: 2e-2, absolute: 2e-3)
            #expect(ratio <= 1, "\(fixture.name) input \(inputIndex): max |analytic − numeric| = \(difference)")
        }
    }
}
