import CMPI
import Kernels
import Tensor

/// ZeRO-3's parameters: each rank keeps its own range of the flat parameter buffer; any other
/// parameter is all-gathered from its owners when read (`require`) and its pages are given back
/// when released, so between uses a rank holds only its shard. The buffer keeps its full layout
/// (virtual memory): gathered values land at their usual offsets and every kernel reads them as
/// in a replicated run.
public final class GatheredParameters: ParameterResidency {
    public let shards: ParameterShards
    let runtime: MPIRuntime
    unowned let store: ParameterStore
    /// Entries gathered and not released.
    private var resident = Set<Int>()
    /// Gathers done (for the run's statistics).
    public private(set) var gatheredFloats = 0

    public init(store: ParameterStore, shards: ParameterShards, runtime: MPIRuntime) {
        self.store = store
        self.shards = shards
        self.runtime = runtime
    }

    /// This rank's own range: the only parameters it keeps between uses.
    public var owned: Range<Int> { shards.ranges[runtime.rank] }

    /// The entry's floats with its padding (so both ends are multiples of 16, as MPI counts them).
    func paddedRange(_ index: Int) -> Range<Int> {
        let entry = store.entries[index]
        let end = index + 1 < store.entries.count ? store.entries[index + 1].offset : store.bufferCount
        return entry.offset..<end
    }

    public func require(_ index: Int) {
        guard !resident.contains(index) else { return }
        // Collective: every rank gathers, owners included.
        let range = paddedRange(index)
        runtime.allGather(store.values.baseAddress!, range: range, shards: shards, what: "gathering parameter \(store.entries[index].name)")
        gatheredFloats += range.count
        resident.insert(index)
    }

    public func release(_ indices: [Int]) {
        for index in indices where resident.remove(index) != nil { drop(paddedRange(index)) }
    }

    /// Drops every gathered parameter (the end of a step).
    public func releaseAll() { release(resident.sorted()) }

    /// Drops everything outside this rank's own range (after initialising or loading the whole model).
    public func dropForeignValues() {
        resident = []
        drop(0..<store.bufferCount)
    }

    /// Zeroes and unmaps `range` except the owned part.
    private func drop(_ range: Range<Int>) {
        let base = store.values.baseAddress!
        if range.lowerBound < owned.lowerBound {
            let end = min(range.upperBound, owned.lowerBound)
            zeroReleasingPages(base + range.lowerBound, count: end - range.lowerBound)
        }
        if range.upperBound > owned.upperBound {
            let start = max(range.lowerBound, owned.upperBound)
            zeroReleasingPages(base + start, count: range.upperBound - start)
        }
    }
}
