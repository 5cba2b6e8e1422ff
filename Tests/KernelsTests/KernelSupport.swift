import Testing
@testable import Kernels

/// Deterministic test data in [−scale, scale) from the counter-based generator.
func randomArray(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var values = [Float](repeating: 0, count: count)
    values.withUnsafeMutableBufferPointer { fillUniform($0.baseAddress!, count: count, key: RandomKey(seed: seed)) }
    return values.map { ($0 * 2 - 1) * scale }
}

/// Runs a kernel that writes `count` floats and returns them.
func output(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
    var values = [Float](repeating: .nan, count: count)
    values.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    return values
}

func expectClose(_ actual: [Float], _ expected: [Float], relative: Float, absolute: Float, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(what): count", sourceLocation: sourceLocation)
    var worst: Float = 0, worstIndex = 0
    for index in actual.indices {
        let ratio = abs(actual[index] - expected[index]) / (absolute + relative * abs(expected[index]))
        if !(ratio <= worst) { worst = ratio; worstIndex = index }
    }
    #expect(worst <= 1, "\(what): element \(worstIndex) is \(actual[worstIndex]), reference \(expected[worstIndex])",
            sourceLocation: sourceLocation)
}
