import CMPI
import Kernels
import Tensor

/// ZeRO-3's parameters: each rank keeps its own range of the flat parameter buffer; any other
/// parameter is all-gathered from its owners when read (`require`) and its pages are given back
/// when released, so between uses a rank holds only its shard. The buffer keeps its full layout
/// (virtual memory): gathered values land at their usual offsets and every kernel reads them as
/// in a replicated run.
///
/// Prefetch: the order in which a step gathered parameters is kept; while the next step reads them
/// in the same order, each `require` starts non-blocking gathers of the parameters that followed
/// (up to `lookahead` of them, about the next block), so they travel while the current block
/// computes. Every rank reads in the same order, so every rank starts the same collectives.
public final class GatheredParameters: ParameterResidency {
    public let shards: ParameterShards
    let runtime: MPIRuntime
    unowned let store: ParameterStore
    /// Entries gathered and not released.
    private var resident = Set<Int>()
    /// Gathers so far and how many of them were prefetched (statistics).
    public private(set) var gathers = 0, prefetchedGathers = 0
    /// Parameters gathered this step, in order, and the previous step's order.
    private var order: [Int] = [], previousOrder: [Int] = []
    /// Non-blocking gathers in flight, by entry.
    private var inFlight: [Int: PendingGather] = [:]
    /// How many parameters past the one read are prefetched: the trainer sets the model's tensors
    /// per block, so about the next block travels while this one computes.
    public var lookahead = 16
    private var unit: MPI_Datatype?

    final class PendingGather {
        var request: MPI_Request?
        let counts: [Int32], displacements: [Int32]
        init(counts: [Int32], displacements: [Int32]) { (self.counts, self.displacements) = (counts, displacements) }
    }

    /// Makes `store` keep only this rank's range (`owned`): create it before initialising or
    /// loading the model, which then drops the rest as it writes (`settle`).
    public init(store: ParameterStore, shards: ParameterShards, runtime: MPIRuntime) {
        self.store = store
        self.shards = shards
        self.runtime = runtime
        store.residency = self
        unit = MPIRuntime.sixteenFloats()
    }

    deinit { MPI_Type_free(&unit) }

    /// This rank's own range: the only parameters it keeps between uses.
    public var owned: Range<Int> { shards.ranges[runtime.rank] }

    /// The entry's floats with its padding (so both ends are multiples of 16, as MPI counts them).
    func paddedRange(_ index: Int) -> Range<Int> {
        let entry = store.entries[index]
        let end = index + 1 < store.entries.count ? store.entries[index + 1].offset : store.bufferCount
        return entry.offset..<end
    }

    public func require(_ index: Int) {
        if !resident.contains(index) {
            gathers += 1
            if let pending = inFlight.removeValue(forKey: index) {
                prefetchedGathers += 1
                runtime.wait(&pending.request, what: "gathering parameter \(store.entries[index].name) (prefetched)")
            } else {
                // Collective: every rank gathers, owners included.
                runtime.allGather(store.values.baseAddress!, range: paddedRange(index), shards: shards, what: "gathering parameter \(store.entries[index].name)")
            }
            resident.insert(index)
            order.append(index)
        }
        prefetch(after: index)
    }

    /// When this step has so far gathered exactly what the previous one did, starts the gathers
    /// of the parameters that came next then.
    private func prefetch(after index: Int) {
        let position = order.count - 1
        guard position >= 0, order[position] == index, position < previousOrder.count, previousOrder[position] == index else { return }
        for next in previousOrder[(position + 1)..<min(previousOrder.count, position + 1 + lookahead)]
            where !resident.contains(next) && inFlight[next] == nil {
            let range = paddedRange(next)
            let (counts, displacements) = MPIRuntime.gatherCounts(range, shards: shards)
            let pending = PendingGather(counts: counts, displacements: displacements)
            var request = cmpi_request_null()
            MPI_Iallgatherv(cmpi_in_place(), 0, unit, store.values.baseAddress! + range.lowerBound, pending.counts, pending.displacements, unit,
                            cmpi_comm_world(), &request)
            pending.request = request
            inFlight[next] = pending
        }
    }

    public func release(_ indices: [Int]) {
        for index in indices where resident.remove(index) != nil { dropValues(paddedRange(index)) }
    }

    public func settle(_ entry: ParameterStore.Entry) { dropValues(entry.offset..<(entry.offset + entry.count)) }

    /// Zeroes `store.values[range]` outside `owned` and gives its pages back.
    func dropValues(_ range: Range<Int>) {
        let kept = owned
        if range.lowerBound < kept.lowerBound {
            zeroReleasingPages(store.values.baseAddress! + range.lowerBound, count: min(range.upperBound, kept.lowerBound) - range.lowerBound)
        }
        if range.upperBound > kept.upperBound {
            let start = max(range.lowerBound, kept.upperBound)
            zeroReleasingPages(store.values.baseAddress! + start, count: range.upperBound - start)
        }
    }

    /// Drops every gathered parameter and waits for any prefetch still travelling (the end of a
    /// step); the step's order becomes the one the next step prefetches by.
    public func releaseAll() {
        for index in inFlight.keys.sorted() {
            let pending = inFlight.removeValue(forKey: index)!
            runtime.wait(&pending.request, what: "a prefetched parameter gather")
            dropValues(paddedRange(index))
        }
        release(resident.sorted())
        previousOrder = order
        order = []
    }

    /// Drops everything outside this rank's own range (after initialising, for any value an
    /// initialiser wrote without `settle`).
    public func dropForeignValues() {
        resident = []
        dropValues(0..<store.bufferCount)
    }
}
