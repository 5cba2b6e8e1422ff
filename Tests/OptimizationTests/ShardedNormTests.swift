import Distributed
import Kernels
import Optimization
import Tensor
import Testing

/// The pieces of ZeRO's arithmetic that keep every shard count bitwise equal to the replicated run.
@Suite struct ShardedNormTests {
    @Test func shardsAreContiguousBlockAlignedAndCoverTheBuffer() {
        for (count, ranks) in [(0, 2), (16, 4), (65536, 2), (200_000, 3), (1_000_000, 8), (131_072, 4)] {
            let shards = ParameterShards(count: count, ranks: ranks)
            #expect(shards.ranges.count == ranks)
            #expect(shards.ranges.first!.lowerBound == 0 && shards.ranges.last!.upperBound == count)
            for (a, b) in zip(shards.ranges, shards.ranges.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
            for range in shards.ranges.dropLast() { #expect(range.upperBound % ParameterShards.block == 0 || range.upperBound == count) }
            let piece = (count / 3)..<(2 * count / 3)
            #expect(shards.split(piece).map(\.count).reduce(0, +) == piece.count)
        }
        #expect(ParameterShards(count: 200_000, ranks: 3).ranges == [0..<65536, 65536..<131072, 131072..<200_000])
        #expect(ParameterShards(count: 16, ranks: 4).ranges.map(\.count) == [0, 0, 0, 16], "a small buffer leaves ranks empty")
    }

    /// Σ of every shard's block partials, gathered in rank order, is the replicated norm bit for bit.
    @Test func shardPartialsGiveTheReplicatedNorm() {
        let count = 300_017 + 15
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in 0..<count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            buffer[i] = Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) * 1e-6 * Float(1 + i % 7)
        }
        let replicated = globalNorm(buffer)
        for ranks in [1, 2, 3, 5, 8] {
            let shards = ParameterShards(count: count, ranks: ranks)
            let gathered = shards.ranges.flatMap { normPartials(buffer, range: $0) }
            #expect(gathered.reduce(0, +).squareRoot().bitPattern == replicated.bitPattern, "\(ranks) shards")
        }
    }

    /// Each block's partial is its squares summed in element order, one Double chain per block,
    /// however many blocks are summed side by side (19 full blocks and a tail, from block 2 on).
    @Test func blockPartialsAreEachBlockSummedInOrder() {
        let block = ParameterShards.block
        let count = 21 * block + 1234
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        for i in 0..<count { buffer[i] = Float((i &* 2_654_435_761) % 1_000_003) * 1e-6 - 0.5 }
        for range in [0..<count, (2 * block)..<count, (3 * block)..<(13 * block)] {
            let partials = normPartials(buffer, range: range)
            let expected = stride(from: range.lowerBound, to: range.upperBound, by: block).map { start in
                var sum = 0.0
                for i in start..<min(start + block, range.upperBound) { sum += Double(buffer[i]) * Double(buffer[i]) }
                return sum
            }
            #expect(partials.map(\.bitPattern) == expected.map(\.bitPattern), "\(range)")
        }
    }
}
