import Kernels
import Models
import Objectives
import Testing
import Training

/// The named streams live beside the code that draws from them; this is their one list. Two
/// uses of one seed on one stream would draw the same numbers.
@Suite struct RandomStreamTests {
    @Test func namedStreamsNeverClash() {
        let named: [String: Int] = [
            "generation": RandomStream.generation, "masking": RandomStream.masking, "holdOut": RandomStream.holdOut,
            "shuffle": RandomStream.shuffle, "sampling": RandomStream.sampling, "epochOrder": RandomStream.epochOrder,
            "benchmarkBatches": RandomStream.benchmarkBatches,
        ]
        #expect(Set(named.values).count == named.count, "two named streams share a value: \(named)")
        // Masking takes one stream per micro-batch; dropout owns 0 ..< 4096 (micro-batches × sites).
        #expect(RandomStream.dropoutBase == 0)
        // benchmarkBatches (77) predates the rule and lies inside dropout's range: benchmark rows
        // share numbers with dropout site 77 of step 0 in models with more sites (GPT-J-6B's 85).
        // Only `bertin bench train`'s synthetic rows use it; kept so benchmark inputs stay as they were.
        for (name, value) in named where name != "benchmarkBatches" {
            #expect(value >= 4096, "\(name) lies inside dropout's streams")
        }
        for (name, value) in named where name != "masking" {
            #expect(!(RandomStream.masking..<(RandomStream.masking + 64)).contains(value), "\(name) lies inside masking's micro-batch streams")
        }
    }
}
