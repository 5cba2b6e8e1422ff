import Foundation
import Kernels

/// How the next token is chosen from logits: greedy (argmax, ties to the lower id as
/// transformers' `argmax`) or sampled at a temperature from the top-k / top-p (nucleus) set, with
/// one counter-based draw per new token (the same seed gives the same text at any thread count).
public struct TokenSampler: Sendable {
    public var temperature: Float = 0
    public var topK: Int?
    public var topP: Float?
    public var seed: UInt64 = 0

    public init(temperature: Float = 0, topK: Int? = nil, topP: Float? = nil, seed: UInt64 = 0) {
        (self.temperature, self.topK, self.topP, self.seed) = (temperature, topK, topP, seed)
    }

    public var isGreedy: Bool { temperature == 0 }

    /// The token after `logits` (one row of the vocabulary) for new token number `index`.
    public func choose(_ logits: ArraySlice<Float>, index: Int) -> Int32 {
        let ids = Array(logits.indices)
        if isGreedy {
            var best = ids[0]
            for id in ids where logits[id] > logits[best] { best = id }
            return Int32(best - logits.startIndex)
        }
        // transformers' order of warpers: temperature, top-k, top-p; then a draw.
        var candidates = ids.map { (id: $0 - logits.startIndex, logit: Double(logits[$0]) / Double(temperature)) }
        candidates.sort { $0.logit > $1.logit || ($0.logit == $1.logit && $0.id < $1.id) }
        if let topK, topK > 0 { candidates = Array(candidates.prefix(topK)) }
        let top = candidates[0].logit
        var weights = candidates.map { Foundation.exp($0.logit - top) }
        var total = weights.reduce(0, +)
        if let topP, topP < 1 {
            var kept = 0, mass = 0.0
            while kept < weights.count, mass < Double(topP) * total || kept == 0 { mass += weights[kept]; kept += 1 }
            candidates = Array(candidates.prefix(kept))
            weights = Array(weights.prefix(kept))
            total = weights.reduce(0, +)
        }
        let draw = RandomKey(seed: seed, step: index, stream: RandomStream.generation).uniform(at: 0) * total
        var running = 0.0
        for (candidate, weight) in zip(candidates, weights) {
            running += weight
            if draw < running { return Int32(candidate.id) }
        }
        return Int32(candidates.last!.id)
    }
}
