import Testing
@testable import Kernels

/// Known-answer vectors of Philox4x32-10 from the Random123 distribution (kat_vectors).
@Suite struct PhiloxTests {
    @Test func zeroCounterAndKey() {
        let words = Philox4x32(key: (0, 0)).block((0, 0, 0, 0))
        #expect([words.0, words.1, words.2, words.3] == [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8])
    }

    @Test func allOnes() {
        let words = Philox4x32(key: (0xffff_ffff, 0xffff_ffff)).block((0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff))
        #expect([words.0, words.1, words.2, words.3] == [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd])
    }

    @Test func digitsOfPi() {
        let words = Philox4x32(key: (0xa409_3822, 0x299f_31d0)).block((0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344))
        #expect([words.0, words.1, words.2, words.3] == [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1])
    }
}

@Suite struct NormalSamplingTests {
    @Test func momentsAreStandardNormal() {
        let count = 200_003
        var values = [Float](repeating: 0, count: count)
        fillNormal(&values, count: count, mean: 0.5, standardDeviation: 2, key: RandomKey(seed: 9, stream: 4))
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(count)
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(count)
        // Standard errors at n = 2e5: mean 2/√n ≈ 0.0045, variance 4·√(2/n) ≈ 0.013.
        #expect(abs(mean - 0.5) < 0.02)
        #expect(abs(variance - 4) < 0.06)
        let beyondTwoSigma = values.filter { abs($0 - 0.5) > 4 }.count
        #expect(abs(Double(beyondTwoSigma) / Double(count) - 0.0455) < 0.002, "Gaussian tails, not uniform ones")
        var again = [Float](repeating: 0, count: 10)
        fillNormal(&again, count: 10, mean: 0.5, standardDeviation: 2, key: RandomKey(seed: 9, stream: 4))
        #expect(again == Array(values[..<10]), "a pure function of the key and the index")
    }
}

/// The eight-lane generator the dropout kernel uses draws the very words of the scalar one.
@Suite struct PhiloxLanesTests {
    @Test func lanesEqualScalarBlocks() {
        for (seed, first) in [(UInt64(0), 0), (0xdead_beef_1234_5678, 1_000_003), (7, Int(UInt32.max) - 3)] {
            let key = RandomKey(seed: seed, step: 11, device: 3, stream: 9)
            let lanes = key.lanes(firstBlock: first)
            for b in 0..<8 {
                let w = key.words(block: first + b)
                #expect([lanes.w0[b], lanes.w1[b], lanes.w2[b], lanes.w3[b]] == [w.0, w.1, w.2, w.3], "seed \(seed) block \(first + b)")
            }
        }
    }
}
