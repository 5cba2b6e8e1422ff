import CMPI
import Tensor

/// The collectives of sharded training (ZeRO): gradient buckets reduce-scattered to their owners,
/// updated parameters and norm partials all-gathered.
extension MPIRuntime {
    /// Starts `receive[0..<counts[rank]] = Σ over ranks of send[piece of this rank]`, where `send`
    /// holds `counts.reduce(0, +)` values cut into consecutive pieces in rank order. `counts` must
    /// stay allocated until the request completes (MPI reads it while the operation runs).
    public func startReduceScatter(_ send: UnsafePointer<Double>, into receive: UnsafeMutablePointer<Double>,
                                   counts: UnsafePointer<Int32>) -> MPI_Request? {
        var request = cmpi_request_null()
        MPI_Ireduce_scatter(send, receive, counts, cmpi_double(), cmpi_sum(), cmpi_comm_world(), &request)
        return request
    }

    /// Every rank's range of `buffer` (`shards.ranges`) copied to every other rank, in place.
    public func allGather(_ buffer: UnsafeMutablePointer<Float>, shards: ParameterShards, what: @autoclosure () -> String) {
        allGather(buffer, range: 0..<shards.count, shards: shards, what: what())
    }

    /// Each rank's `values` concatenated in rank order (ranks may contribute different counts).
    public func allGather(_ values: [Double], what: @autoclosure () -> String) -> [Double] {
        guard size > 1 else { return values }
        var count = Int32(values.count)
        var counts = [Int32](repeating: 0, count: size)
        Watchdog.shared.guarding(what()) {
            _ = MPI_Allgather(&count, 1, cmpi_int32(), &counts, 1, cmpi_int32(), cmpi_comm_world())
        }
        var displacements = [Int32](repeating: 0, count: size)
        for rank in 1..<size { displacements[rank] = displacements[rank - 1] + counts[rank - 1] }
        var result = [Double](repeating: 0, count: Int(counts.reduce(0, +)))
        Watchdog.shared.guarding(what()) {
            _ = MPI_Allgatherv(values, count, cmpi_double(), &result, counts, displacements, cmpi_double(), cmpi_comm_world())
        }
        return result
    }

    /// Rank 0's `value` on every rank.
    public func broadcast(_ value: Int64, what: @autoclosure () -> String) -> Int64 {
        guard size > 1 else { return value }
        var result = value
        Watchdog.shared.guarding(what()) { _ = MPI_Bcast(&result, 1, cmpi_int64(), 0, cmpi_comm_world()) }
        return result
    }

    /// Waits for one non-blocking operation (under the watchdog).
    public func wait(_ request: inout MPI_Request?, what: @autoclosure () -> String) {
        Watchdog.shared.guarding(what()) { _ = MPI_Wait(&request, cmpi_status_ignore()) }
    }

    /// `buffer[range]` completed on every rank from the ranks owning its pieces (`shards`), in
    /// place. Both ends of `range` are multiples of 16 floats.
    public func allGather(_ buffer: UnsafeMutablePointer<Float>, range: Range<Int>, shards: ParameterShards, what: @autoclosure () -> String) {
        guard size > 1 else { return }
        var type = Self.sixteenFloats()
        defer { MPI_Type_free(&type) }
        let (counts, displacements) = Self.gatherCounts(range, shards: shards)
        Watchdog.shared.guarding(what()) {
            _ = MPI_Allgatherv(cmpi_in_place(), 0, type, buffer + range.lowerBound, counts, displacements, type, cmpi_comm_world())
        }
    }

    /// MPI counts parameters in 16-float units (shard bounds and padded parameters are multiples
    /// of 16), so a 6B-parameter buffer stays within its 32-bit counts. Free it with MPI_Type_free.
    static func sixteenFloats() -> MPI_Datatype? {
        var type: MPI_Datatype? = nil
        MPI_Type_contiguous(16, cmpi_float(), &type)
        MPI_Type_commit(&type)
        return type
    }

    /// Each rank's piece of `range`, as counts and displacements from its start in 16-float units.
    static func gatherCounts(_ range: Range<Int>, shards: ParameterShards) -> (counts: [Int32], displacements: [Int32]) {
        precondition(range.lowerBound % 16 == 0 && range.upperBound % 16 == 0, "gathered ranges must be multiples of 16 floats")
        let pieces = shards.split(range)
        return (pieces.map { Int32($0.count / 16) }, pieces.map { Int32(($0.isEmpty ? 0 : $0.lowerBound - range.lowerBound) / 16) })
    }
}
