import CorpusIO
import Foundation
import Kernels

/// BERTIN's perplexity sampling rules (its mc4 sampling script; de la Rosa et al. 2022, §3): each
/// decides, from a document's perplexity and a uniform draw, whether the document is kept. With
/// quartile boundaries b0 < b1 < b2: stepwise keeps with probability factor / r, r = b0, b1 − b0,
/// b2 − b1 or 10·b2 by quartile; gaussian with 0.78·exp(−(1/4.5)·((ppl − b1)/b1)²); random with 1/2.
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

extension PerplexitySampler {
    /// The fraction of `perplexities` expected to be kept: the mean keep probability, capped at 1.
    public func expectedKeepFraction(of perplexities: [Double]) -> Double {
        guard !perplexities.isEmpty else { return 0 }
        return perplexities.reduce(0.0) { $0 + min(1, keepProbability(perplexity: $1)) } / Double(perplexities.count)
    }

    /// This sampler with the factor that keeps about `fraction` of documents like `perplexities`
    /// (an estimation sample), for any boundaries: BERTIN's factors are in the units of CCNet's
    /// model, and with another model's perplexities (quartiles around 25 instead of 6e5) the
    /// stepwise factor 1.5e5 keeps everything. The expected kept fraction rises with the factor,
    /// so it is solved by bisection (on a log scale: factors span many orders of magnitude).
    public func solvingFactor(keepFraction fraction: Double, over perplexities: [Double]) throws -> PerplexitySampler {
        let scored = perplexities.filter(\.isFinite)
        guard fraction > 0, fraction <= 1 else {
            throw CorpusError.invalidInput(path: "sampling", reason: "--keep-fraction must lie in (0, 1], got \(fraction)")
        }
        guard !scored.isEmpty else { throw CorpusError.invalidInput(path: "sampling", reason: "no scored document to solve the factor on") }
        var solved = self
        if method == .random { solved.factor = fraction; return solved }
        func kept(_ factor: Double) -> Double { solved.factor = factor; return solved.expectedKeepFraction(of: scored) }
        var (low, high) = (1e-300, 1.0)
        while kept(high) < fraction {
            high *= 10
            guard high < 1e300 else {
                throw CorpusError.invalidInput(path: "sampling", reason: "no factor keeps \(fraction) of the estimation sample (at most \(kept(1e300)))")
            }
        }
        for _ in 0..<200 {
            let middle = (low * high).squareRoot()
            if kept(middle) < fraction { low = middle } else { high = middle }
        }
        solved.factor = high
        return solved
    }

    /// Quartiles (0–3) in which every document is kept with probability 1, so the rule does not
    /// sample there at all: the sign of a factor meant for another model's perplexity scale.
    public var saturatedQuartiles: [Int] {
        let (b0, b1, b2) = (boundaries[0], boundaries[1], boundaries[2])
        switch method {
        case .random:
            return factor >= 1 ? [0, 1, 2, 3] : []
        case .stepwise:
            // Constant within a quartile.
            return [b0 / 2, (b0 + b1) / 2, (b1 + b2) / 2, 2 * b2].enumerated().filter { keepProbability(perplexity: $0.element) >= 1 }.map(\.offset)
        case .gaussian:
            // Lowest within each quartile: perplexity → 0, at b0, at b2; the top quartile tends to 0.
            let lowest = [keepProbability(perplexity: 0), keepProbability(perplexity: b0), keepProbability(perplexity: b2), 0]
            return lowest.enumerated().filter { $0.element >= 1 }.map(\.offset)
        }
    }
}
