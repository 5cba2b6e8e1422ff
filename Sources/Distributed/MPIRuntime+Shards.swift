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
    /// Counted in 16-float units (shard bounds are multiples of 16), so a 6B-parameter buffer
    /// stays within MPI's 32-bit counts.
    public func allGather(_ buffer: UnsafeMutablePointer<Float>, shards: ParameterShards, what: @autoclosure () -> String) {
        guard size > 1 else { return }
        let unit = 16
        precondition(shards.ranges.allSatisfy { $0.lowerBound % unit == 0 && $0.upperBound % unit == 0 }, "shard bounds must be multiples of 16 floats")
        var type: MPI_Datatype? = nil
        MPI_Type_contiguous(Int32(unit), cmpi_float(), &type)
        MPI_Type_commit(&type)
        defer { MPI_Type_free(&type) }
        let counts = shards.ranges.map { Int32($0.count / unit) }
        let displacements = shards.ranges.map { Int32($0.lowerBound / unit) }
        Watchdog.shared.guarding(what()) {
            _ = MPI_Allgatherv(cmpi_in_place(), 0, type, buffer, counts, displacements, type, cmpi_comm_world())
        }
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
}

extension MPIRuntime {
    /// Waits for one non-blocking operation (under the watchdog).
    public func wait(_ request: inout MPI_Request?, what: @autoclosure () -> String) {
        Watchdog.shared.guarding(what()) { _ = MPI_Wait(&request, cmpi_status_ignore()) }
    }
}

extension MPIRuntime {
    /// `buffer[range]` completed on every rank from the ranks owning its pieces (`shards`), in
    /// place. Both ends of `range` are multiples of 16 floats.
    public func allGather(_ buffer: UnsafeMutablePointer<Float>, range: Range<Int>, shards: ParameterShards, what: @autoclosure () -> String) {
        guard size > 1 else { return }
        let unit = 16
        precondition(range.lowerBound % unit == 0 && range.upperBound % unit == 0, "gathered ranges must be multiples of 16 floats")
        var type: MPI_Datatype? = nil
        MPI_Type_contiguous(Int32(unit), cmpi_float(), &type)
        MPI_Type_commit(&type)
        defer { MPI_Type_free(&type) }
        let pieces = shards.split(range)
        let counts = pieces.map { Int32($0.count / unit) }
        let displacements = pieces.map { Int32(($0.isEmpty ? 0 : $0.lowerBound - range.lowerBound) / unit) }
        Watchdog.shared.guarding(what()) {
            _ = MPI_Allgatherv(cmpi_in_place(), 0, type, buffer + range.lowerBound, counts, displacements, type, cmpi_comm_world())
        }
    }
}
