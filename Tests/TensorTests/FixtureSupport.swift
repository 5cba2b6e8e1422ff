import Foundation
import Testing
@testable import Tensor

/// A tensor as the fixture scripts write it.
struct TensorFixture: Decodable {
    let shape: [Int]
    let data: [Float]

    var tensor: Tensor { get throws { try Tensor(shape: shape, scalars: data) } }
}

struct IndexFixture: Decodable {
    let shape: [Int]
    let data: [Int32]

    var indexTensor: IndexTensor { get throws { try IndexTensor(shape: shape, indices: data) } }
}

/// Attribute values are numbers, booleans or lists of integers.
enum AttributeValue: Decodable {
    case number(Double), flag(Bool), list([Int])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) { self = .flag(flag) }
        else if let number = try? container.decode(Double.self) { self = .number(number) }
        else { self = .list(try container.decode([Int].self)) }
    }
}

struct PrimitiveCase: Decodable, CustomTestStringConvertible, Sendable {
    let name: String
    let op: String
    let inputs: [TensorFixture]
    let attributes: [String: AttributeValue]
    let output: TensorFixture
    let seed: TensorFixture
    let gradients: [TensorFixture]
    let indices: IndexFixture?

    var testDescription: String { name }

    func number(_ key: String) -> Double? { if case .number(let v) = attributes[key] { return v }; return nil }
    func integer(_ key: String) -> Int? { number(key).map { Int($0) } }
    func flag(_ key: String) -> Bool { if case .flag(let v) = attributes[key] { return v }; return false }
    func list(_ key: String) -> [Int]? { if case .list(let v) = attributes[key] { return v }; return nil }

    /// Applies this case's operation to `inputs`, the way the fixture script applied PyTorch's.
    func apply(_ inputs: [Tensor]) throws -> Tensor {
        let x = inputs[0]
        switch op {
        case "add": return try inputs[0] + inputs[1]
        case "subtract": return try inputs[0] - inputs[1]
        case "multiply": return try inputs[0] * inputs[1]
        case "divide": return try inputs[0] / inputs[1]
        case "affine": return try x.scaled(by: Float(number("scale")!), plus: Float(number("shift")!))
        case "matmul": return try Tensor.matmul(inputs[0], inputs[1], transposeA: flag("transposeA"), transposeB: flag("transposeB"))
        case "sum": return try x.sum(alongAxis: integer("axis")!, keepingDimension: flag("keep"))
        case "sum_all": return try x.sum()
        case "mean": return try x.mean(alongAxis: integer("axis")!, keepingDimension: flag("keep"))
        case "mean_all": return try x.mean()
        case "max": return try x.max(alongAxis: integer("axis")!, keepingDimension: flag("keep"))
        case "softmax": return try x.softmax()
        case "logSoftmax": return try x.logSoftmax()
        case "layerNorm": return try x.layerNorm(weight: inputs[1], bias: inputs[2], epsilon: Float(number("epsilon")!))
        case "gelu": return x.gelu()
        case "geluTanh": return x.gelu(approximation: .tanh)
        case "tanh": return x.tanh()
        case "exp": return x.exp()
        case "log": return x.log()
        case "relu": return x.relu()
        case "sqrt": return x.squareRoot()
        case "reshape": return try x.reshaped(list("shape")!)
        case "permute": return try x.permuted(list("axes")!)
        case "transpose": let axes = list("axes")!; return try x.transposed(axes[0], axes[1])
        case "slice": return try x.slice(alongAxis: integer("axis")!, integer("start")!..<integer("end")!)
        case "concatenate": return try Tensor.concatenate(inputs, alongAxis: integer("axis")!)
        case "embedding": return try Tensor.embedding(x, indices: try indices!.indexTensor)
        case "crossEntropy": return try Tensor.crossEntropy(logits: x, targets: try indices!.indexTensor)
        case "rotary":
            let positions = try indices!.indexTensor
            return try x.rotaryEmbedding(positions: positions, table: RotaryTable(rotaryDimension: integer("rotaryDimension")!, positions: 16))
        case "causalSoftmax": return try x.addingMask(try Tensor.causalAdditiveMask(attentionMask: try indices!.indexTensor, queries: x.shape[2])).softmax()
        case "attention": return try attention(query: inputs[0], key: inputs[1], value: inputs[2], mask: try indices!.indexTensor)
        default: throw TensorError.invalidArgument(operation: "fixture", reason: "unknown op \(op)")
        }
    }

    /// Scaled dot-product attention composed from primitives, as the fixture script composes it.
    func attention(query: Tensor, key: Tensor, value: Tensor, mask: IndexTensor) throws -> Tensor {
        let headSize = Float(query.shape[query.rank - 1])
        let scores = try Tensor.matmul(query, key, transposeB: true).scaled(by: 1 / headSize.squareRoot())
        let weights = try scores.addingMask(try Tensor.additiveMask(attentionMask: mask)).softmax()
        return try Tensor.matmul(weights, value)
    }
}

struct PrimitiveFixtures: Decodable {
    let torch: String
    let cases: [PrimitiveCase]
}

enum Fixtures {
    static func url(_ name: String) -> URL {
        Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)!
    }

    static func load<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(contentsOf: url(name)))
    }

    static let primitives: [PrimitiveCase] = (try? load(PrimitiveFixtures.self, "primitives.json").cases) ?? []
}

/// Largest violation of |actual − expected| ≤ absolute + relative·|expected|, as a ratio (≤ 1 passes),
/// and the largest absolute difference, for the failure message.
func closeness(_ actual: [Float], _ expected: [Float], relative: Double, absolute: Double) -> (ratio: Double, maxDifference: Double) {
    guard actual.count == expected.count else { return (.infinity, .infinity) }
    var worst = 0.0, maxDifference = 0.0
    for (a, e) in zip(actual, expected) {
        let difference = abs(Double(a) - Double(e))
        if difference.isNaN { return (.infinity, .nan) }
        maxDifference = max(maxDifference, difference)
        worst = max(worst, difference / (absolute + relative * abs(Double(e))))
    }
    return (worst, maxDifference)
}

func expectClose(
    _ actual: Tensor, _ expected: TensorFixture, relative: Double, absolute: Double, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == expected.shape, "\(what): shape", sourceLocation: sourceLocation)
    let (ratio, difference) = closeness(actual.scalars, expected.data, relative: relative, absolute: absolute)
    #expect(actual.scalars.count == expected.data.count && ratio <= 1,
            "\(what): max |difference| \(difference) exceeds \(absolute) + \(relative)·|expected|", sourceLocation: sourceLocation)
}

/// Deterministic test data: uniform in [−scale, scale) from the counter-based generator.
func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    let tensor = Tensor.zeros(shape)
    fillUniformForTests(tensor, seed: seed)
    return try! tensor.scaled(by: 2 * scale, plus: -scale)
}

import Kernels
private func fillUniformForTests(_ tensor: Tensor, seed: UInt64) {
    fillUniform(tensor.pointer, count: tensor.scalarCount, key: RandomKey(seed: seed))
}
