import Testing
@testable import Kernels

/// The kernels that live outside one BLAS call: causal attention's blocked products and the
/// gradient norm's block partials, against their twins in `ReferenceKernels`.
@Suite struct BlockedKernelTests {
    /// T 150 = two full blocks and a tail of 22; two pairs, so pair offsets are exercised.
    static let (pairs, time, width) = (2, 150, 24)

    /// Each visible entry within Higham's bound γ(k+2)·Σ|terms| of the Double product (sgemm's
    /// rounding in any summation order); nothing written outside the visible part.
    func expectWithinBound(_ actual: [Float], _ expected: [(value: Double, magnitude: Double)?], terms k: Int, _ what: String) {
        let u = Double(Float.ulpOfOne) / 2
        let gamma = Double(k + 2) * u / (1 - Double(k + 2) * u)
        #expect(actual.count == expected.count, "\(what): \(actual.count) outputs for \(expected.count) expected")
        var outside = 0, worst = 0.0
        for (a, e) in zip(actual, expected) {
            guard let e else { if !a.isNaN { outside += 1 }; continue }
            worst = max(worst, abs(Double(a) - e.value) / (gamma * e.magnitude + Double(Float.leastNormalMagnitude)))
        }
        #expect(worst <= 1, "\(what): worst entry at \(worst)x the bound")
        #expect(outside == 0, "\(what): \(outside) entries written past a block's visible keys")
    }

    /// `[P, T, T]` weights with NaN past each row's visible keys: reading any of them poisons the result.
    static func hiddenPoisoned(_ weights: [Float]) -> [Float] {
        var weights = weights
        for row in 0..<(pairs * time) {
            for c in ReferenceKernels.causalVisible(row: row % time, time: time, block: causalAttentionBlock)..<time { weights[row * time + c] = .nan }
        }
        return weights
    }

    @Test func blockProductsWriteTheVisibleScores() {
        let (p, t, d) = (Self.pairs, Self.time, Self.width)
        let (left, right) = (randomArray(p * t * d, seed: 11), randomArray(p * t * d, seed: 12))
        let scores = output(p * t * t) { causalBlockProducts(output: $0, left: left, right: right, pairs: p, time: t, width: d) }
        let expected = ReferenceKernels.causalBlockProducts(left, right, pairs: p, time: t, width: d, block: causalAttentionBlock)
        expectWithinBound(scores, expected, terms: d, "Q Kᵀ blocks")
    }

    typealias MixKernel = (UnsafeMutablePointer<Float>, [Float], [Float], Int, Int, Int) -> Void
    typealias MixTwin = ([Float], [Float], Int, Int, Int, Int) -> [(value: Double, magnitude: Double)]

    /// Both weight mixes read `[P, T, T]` weights poisoned past each row's visible keys and sum T terms.
    @Test(arguments: ["W V", "Wᵀ dO"])
    func blockMixesReadOnlyVisibleWeights(_ which: String) {
        let (p, t, d) = (Self.pairs, Self.time, Self.width)
        let (kernel, twin): (MixKernel, MixTwin) = which == "W V"
            ? ({ causalBlockMix(output: $0, weights: $1, values: $2, pairs: $3, time: $4, width: $5) }, ReferenceKernels.causalBlockMix)
            : ({ causalBlockMixTransposed(output: $0, weights: $1, rows: $2, pairs: $3, time: $4, width: $5) }, ReferenceKernels.causalBlockMixTransposed)
        let weights = Self.hiddenPoisoned(randomArray(p * t * t, seed: which == "W V" ? 13 : 15))
        let other = randomArray(p * t * d, seed: which == "W V" ? 14 : 16)
        let mixed = output(p * t * d) { kernel($0, weights, other, p, t, d) }
        let expected = twin(weights, other, p, t, d, causalAttentionBlock)
        expectWithinBound(mixed, expected.map { $0 }, terms: t, "\(which) blocks")
    }

    /// Each block's partial is a Double sum in element order, so the kernel's eight interleaved
    /// chains and its threads give the twin's bits exactly, for ranges with a partial last block.
    @Test(arguments: [1, 2, 4])
    func normPartialsEqualTheTwinBitForBit(threads: Int) {
        let previous = ComputeThreads.count
        ComputeThreads.setOwnKernelThreads(threads)
        defer { ComputeThreads.setOwnKernelThreads(previous) }
        let count = 11 * normBlock + 1234
        var values = randomArray(count, seed: 17, scale: 3)
        for range in [0..<count, (2 * normBlock)..<count, 0..<(9 * normBlock)] {
            let partials = values.withUnsafeMutableBufferPointer { normPartials($0, range: range) }
            let twin = ReferenceKernels.normPartials(values, range: range, block: normBlock)
            #expect(partials.map(\.bitPattern) == twin.map(\.bitPattern), "range \(range) at \(threads) thread(s)")
        }
    }
}

/// GradientReducer's element loops against their twins: single roundings, so bit for bit.
@Suite struct DoubleAccumulationTests {
    @Test func widenAccumulateAndNarrowAreExact() {
        let count = 3 * parallelGrain + 17
        let x = randomArray(count, seed: 21, scale: 5), y = randomArray(count, seed: 22, scale: 1e-3)
        var staged = [Double](repeating: .nan, count: count)
        staged.withUnsafeMutableBufferPointer { widen(output: $0.baseAddress!, input: x, count: count) }
        #expect(staged.map(\.bitPattern) == ReferenceKernels.widen(x).map(\.bitPattern))
        var sums = staged
        sums.withUnsafeMutableBufferPointer { accumulateWidened(sums: $0.baseAddress!, input: y, count: count) }
        #expect(sums.map(\.bitPattern) == ReferenceKernels.accumulateWidened(staged, y).map(\.bitPattern))
        let narrowed = output(count) { narrowScaled(output: $0, input: sums, scale: 1.0 / 8, count: count) }
        #expect(narrowed.map(\.bitPattern) == ReferenceKernels.narrowScaled(sums, scale: 1.0 / 8).map(\.bitPattern))
    }
}
