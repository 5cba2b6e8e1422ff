import Models
import Testing

/// Greedy and sampled choice of the next token.
@Suite struct TokenSamplerTests {
    let logits: [Float] = [0.5, 2.0, 2.0, -1.0, 1.5, 0.0]

    @Test func greedyTakesTheFirstLargest() {
        #expect(TokenSampler().choose(logits[...], index: 0) == 1, "ties go to the lower id, as argmax")
    }

    @Test func samplingIsSeededAndStaysInsideTopKAndTopP() {
        let sampler = TokenSampler(temperature: 1, seed: 7)
        let draws = (0..<200).map { sampler.choose(logits[...], index: $0) }
        #expect(draws == (0..<200).map { sampler.choose(logits[...], index: $0) }, "the same seed draws the same tokens")
        #expect(Set(draws).count > 3, "temperature 1 visits several tokens")
        let other = TokenSampler(temperature: 1, seed: 8)
        #expect(draws != (0..<200).map { other.choose(logits[...], index: $0) })
        let topK = TokenSampler(temperature: 1, topK: 2, seed: 7)
        #expect(Set((0..<200).map { topK.choose(logits[...], index: $0) }) == [1, 2], "top-k 2 keeps the two largest")
        // Probabilities ∝ e^logit: ids 1 and 2 hold 2·e² / Σ ≈ 0.60 of the mass, id 4 the next 0.18.
        let topP = TokenSampler(temperature: 1, topP: 0.7, seed: 7)
        #expect(Set((0..<300).map { topP.choose(logits[...], index: $0) }) == [1, 2, 4], "top-p 0.7 keeps the smallest set reaching 70%")
        let cold = TokenSampler(temperature: 1e-3, seed: 7)
        #expect(Set((0..<50).map { cold.choose(logits[...], index: $0) }).isSubset(of: [1, 2]), "a low temperature is nearly greedy")
    }
}
