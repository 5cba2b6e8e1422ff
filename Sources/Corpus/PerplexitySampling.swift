import Foundation
import Kernels

/// BERTIN's perplexity sampling rules (REFERENCE.md §4): each decides, from a document's
/// perplexity and a uniform draw, whether the document is kept.
public enum SamplingMethod: String, CaseIterable, Sendable {
    case gaussian, stepwise, random
}

public struct PerplexitySampler: Sendable {
    public var method: SamplingMethod
    /// Perplexity quartile boundaries b0 < b1 < b2 (BERTIN's, over mC4-es with CCNet's es model, by default).
    public var boundaries: [Double]
    /// Gaussian: keep probability at the median; stepwise: scale of the keep rates; random: keep probability.
    public var factor: Double
    /// Gaussian width (BERTIN: 9/2).
    public var width: Double

    public static let bertinBoundaries = [536_394.993_209_48, 662_247.502_123_65, 919_250.872_251_78]

    public init(method: SamplingMethod, boundaries: [Double] = bertinBoundaries, factor: Double? = nil, width: Double = 9.0 / 2.0) throws {
        guard boundaries.count == 3, boundaries[0] < boundaries[1], boundaries[1] < boundaries[2], boundaries[0] > 0 else {
            throw CorpusError.invalidInput(path: "sampling", reason: "boundaries must be three rising positive perplexities, got \(boundaries)")
        }
        self.method = method
        self.boundaries = boundaries
        self.factor = factor ?? [.gaussian: 0.78, .stepwise: 1.5e5, .random: 0.5][method]!
        self.width = width
    }

    /// The probability that a document of this perplexity is kept.
    public func keepProbability(perplexity: Double) -> Double {
        let (b0, b1, b2) = (boundaries[0], boundaries[1], boundaries[2])
        switch method {
        case .gaussian:
            let m = b1
            return factor * Foundation.exp(-(1 / width) * Foundation.pow((perplexity - m) / m, 2))
        case .stepwise:
            // BERTIN's script skips perplexity == b1 by accident; it belongs to (b1, b2) here.
            let rate: Double
            if perplexity <= b0 { rate = b0 }
            else if perplexity < b1 { rate = b1 - b0 }
            else if perplexity < b2 { rate = b2 - b1 }
            else { rate = 10 * b2 }
            return factor / rate
        case .random:
            return factor
        }
    }

    /// Keep iff `uniform < p` (gaussian, stepwise) or `uniform <= p` (random), as BERTIN's script compares.
    public func keeps(perplexity: Double, uniform: Double) -> Bool {
        let p = keepProbability(perplexity: perplexity)
        return method == .random ? uniform <= p : uniform < p
    }

    /// Which quartile (0-3) the boundaries put a perplexity in.
    public func quartile(of perplexity: Double) -> Int {
        boundaries.filter { perplexity > $0 }.count
    }
}

/// Quartile boundaries (25th, 50th, 75th percentiles, linearly interpolated like numpy's default)
/// of a sample of perplexities: the boundaries another language model needs.
public func quartileBoundaries(of perplexities: [Double]) throws -> [Double] {
    let sorted = perplexities.filter(\.isFinite).sorted()
    guard sorted.count >= 4 else {
        throw CorpusError.invalidInput(path: "sampling", reason: "need at least 4 scored documents to estimate quartiles, got \(sorted.count)")
    }
    return [0.25, 0.5, 0.75].map { q in
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }
}
