import Foundation
import Interop
import Kernels
import Models
import Tensor
import Testing

/// Paths of committed fixtures (see Scripts/reference/ for the scripts that made them).
enum Fixtures {
    static func path(_ name: String) -> String {
        Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)!.path
    }
}

/// How far `actual` is from `expected`: the worst element's |a - e| / (relative·|e| + floor), where
/// the floor is `relative · rms(expected)` so that elements near zero are judged on the tensor's
/// scale (a relative bound alone is meaningless at zero). Also the largest absolute difference.
func compare(_ actual: [Float], _ expected: [Float], relative: Double) -> (ratio: Double, maxAbsoluteDifference: Double) {
    guard actual.count == expected.count, !expected.isEmpty else { return (.infinity, .infinity) }
    let rms = (expected.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(expected.count)).squareRoot()
    var worst = 0.0, largest = 0.0
    for (a, e) in zip(actual, expected) {
        let difference = abs(Double(a) - Double(e))
        guard !difference.isNaN else { return (.infinity, .nan) }
        largest = max(largest, difference)
        worst = max(worst, difference / (relative * abs(Double(e)) + relative * rms + .leastNonzeroMagnitude))
    }
    return (worst, largest)
}

/// A path under a fresh temporary folder (the folder is created by whoever writes there).
func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("bertin-models-\(UUID().uuidString)").appendingPathComponent(name).path
}

/// A copy of the fixture folder `name` (in a fresh temporary folder, under its own last name)
/// with `change` applied: a damaged input for an error test.
func damagedCopy(of name: String, _ change: (URL) throws -> Void) throws -> String {
    let copy = URL(fileURLWithPath: temporaryPath(URL(fileURLWithPath: name).lastPathComponent))
    try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: Fixtures.path(name), toPath: copy.path)
    try change(copy)
    return copy.path
}

/// The batch a fixture script saved beside its expected outputs (`input_ids`, `attention_mask`, `labels`).
func fixtureBatch(_ expected: SafeTensorsFile, prefix: String = "") throws -> TokenBatch {
    func index(_ name: String) throws -> IndexTensor {
        try IndexTensor(shape: try expected.info(prefix + name).shape, indices: try expected.integers(prefix + name).map { Int32($0) })
    }
    return try TokenBatch(inputIDs: try index("input_ids"), attentionMask: try index("attention_mask"), labels: try index("labels"))
}

/// The tiny transformers model and its batch and outputs, as the fixture script saved them.
struct TinyRobertaReference {
    let loaded: TransformersDirectory.Loaded
    var model: RobertaForMaskedLM { loaded.model as! RobertaForMaskedLM }
    let expected: SafeTensorsFile
    let batch: TokenBatch

    init() throws {
        loaded = try TransformersDirectory.load(directory: Fixtures.path("tiny-roberta"))
        expected = try SafeTensorsFile(path: Fixtures.path("tiny-roberta-expected.safetensors"))
        batch = try fixtureBatch(expected)
    }
}
