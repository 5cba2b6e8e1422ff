@testable import Checkpointing
import Distributed
import Foundation
import Optimization
import Tensor
import Testing
import TestSupport

/// Sharded checkpoints written by simulated ranks in one process: the index holds every tensor at
/// full shape as a virtual dataset over per-rank files, reads back bit for bit whole or by range,
/// and refuses missing or damaged shards by name.
@Suite struct ShardedCheckpointTests {
    /// 150,000 + 500 + 7 floats: three 64 Ki-float shards, the first two cutting the matrix mid-row.
    let layout: [(name: String, shape: [Int])] = [("embed.weight", [300, 500]), ("embed.bias", [500]), ("norm.weight", [7])]
    /// What a model would say of them (AdamW's default mask decays by role).
    let roles: [ParameterRole] = [.weight, .bias, .weight]

    /// A store with distinct values everywhere and, per rank of `shards`, an optimizer holding
    /// that rank's range of distinct moments.
    func state(_ shards: ParameterShards) throws -> (ParameterStore, [AdamW]) {
        let store = try ParameterStore(layout: layout, roles: roles)
        for entry in store.entries { for i in 0..<entry.count { store.values[entry.offset + i] = Float(entry.offset + i) * 0.001 - 7 } }
        let optimizers = try shards.ranges.map { range in
            let optimizer = try AdamW(configuration: AdamWConfiguration(schedule: .constant(0.01)), parameters: store, ownedRange: range)
            // Padding between entries stays zero, as in training (only entries are stored).
            for entry in store.entries {
                for i in max(entry.offset, range.lowerBound)..<max(max(entry.offset, range.lowerBound), min(entry.offset + entry.count, range.upperBound)) {
                    optimizer.firstMoment.values[i - range.lowerBound] = Float(i) * 0.5
                    optimizer.secondMoment.values[i - range.lowerBound] = Float(i) * 0.25 + 1
                }
            }
            optimizer.stepCount = 11
            return optimizer
        }
        return (store, optimizers)
    }

    func write(_ path: String, shards: ParameterShards, store: ParameterStore, optimizers: [AdamW], token: UInt64 = 0xabc) throws {
        let name = ShardedCheckpoint.folderName(for: path, token: token)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(name).path
        for (rank, optimizer) in optimizers.enumerated() {
            try ShardedCheckpoint.writeShard(folder: folder, rank: rank, range: shards.ranges[rank], parameters: store, optimizer: optimizer)
        }
        try ShardedCheckpoint.writeIndex(to: path, folderName: name, ranges: shards.ranges, parameters: store, optimizer: optimizers[0],
                                         progress: TrainingProgress(step: 11, seed: 5, dataPosition: ["rows": 3]), modelConfig: "{}", recipe: "r")
    }

    /// Runs one of HDF5's command-line tools from the root directory (not the checkpoint's) and
    /// returns what it printed; it must succeed.
    static func tool(_ arguments: [String]) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["PWD"] = "/"
        let child = try ChildProcess("/usr/bin/env", ["sh", "-c", "cd / && exec \"$@\"", "sh"] + arguments, environment: environment)
        let (status, output) = try child.finish(seconds: 60)
        #expect(status == 0, "\(arguments.joined(separator: " ")): \(output)")
        return output
    }

    /// How many values differ (a count, so a failure does not print a million values).
    func differing(_ a: some Collection<Float>, _ b: some Collection<Float>) -> Int {
        a.count != b.count ? max(a.count, b.count) : zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count
    }

    @Test func indexHoldsFullShapeVirtualTensorsOverPerRankFiles() throws {
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("step-11.h5").path
        let store = try ParameterStore(layout: layout, roles: roles)
        let shards = ParameterShards(count: store.bufferCount, ranks: 3)
        #expect(shards.ranges.map(\.count) == [65536, 65536, store.bufferCount - 131072])
        let (written, optimizers) = try state(shards)
        try write(path, shards: shards, store: written, optimizers: optimizers)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["step-11.h5", "step-11.h5.shards-abc"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("step-11.h5.shards-abc").path).sorted()
            == ["rank-00000.h5", "rank-00001.h5", "rank-00002.h5"])

        // The file structure: full shapes, virtual, mapped onto the shards' 1-D datasets.
        let index = try HDF5File.open(at: path)
        for group in ["/params", "/optimizer/mu", "/optimizer/nu"] {
            #expect(try index.names(in: group) == ["embed.bias", "embed.weight", "norm.weight"])
            for (name, shape) in layout {
                #expect(try index.isVirtual("\(group)/\(name)"), "\(group)/\(name) is a virtual dataset")
                #expect(try index.withDataset("\(group)/\(name)") { dataset, fail in try index.shape(of: dataset, fail) } == shape)
            }
        }
        #expect(try index.readIntegers(at: "/shards/ranges") == shards.ranges.flatMap { [Int64($0.lowerBound), Int64($0.upperBound)] })
        let shard = try HDF5File.open(at: folder.appendingPathComponent("step-11.h5.shards-abc/rank-00001.h5").path)
        #expect(try shard.readIntegers(at: "/shard/range") == [65536, 131072])
        #expect(try shard.withDataset("/params") { dataset, fail in try shard.shape(of: dataset, fail) } == [65536])

        // HDF5's own tools (Debian's hdf5-tools) see one file: every tensor at full shape, its
        // values read through the virtual mapping from the per-rank files, from another directory.
        let listing = try Self.tool(["h5ls", "-r", path])
        for group in ["/params", "/optimizer/mu", "/optimizer/nu"] {
            for (name, shape) in layout {
                let line = listing.split(separator: "\n").first { $0.hasPrefix("\(group)/\(name) ") }.map(String.init) ?? ""
                #expect(line.hasSuffix("Dataset {\(shape.map(String.init).joined(separator: ", "))}"), "h5ls: \(line)")
            }
        }
        let dumped = FileManager.default.temporaryDirectory.appendingPathComponent("h5dump-\(UUID().uuidString).bin").path
        _ = try Self.tool(["h5dump", "-d", "/params/embed.weight", "-b", "LE", "-o", dumped, path])
        let values = try Data(contentsOf: URL(fileURLWithPath: dumped)).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let entry = try written.entry(named: "embed.weight")
        #expect(differing(values, written.values[entry.offset..<(entry.offset + entry.count)]) == 0, "h5dump reads the full tensor across the shards")

        // Read whole (a replicated run) ...
        let store2 = try ParameterStore(layout: layout, roles: roles)
        let whole = try AdamW(configuration: AdamWConfiguration(schedule: .constant(0.01)), parameters: store2)
        let contents = try Checkpoint.read(from: path, into: store2, optimizer: whole)
        #expect(contents.progress == TrainingProgress(step: 11, seed: 5, dataPosition: ["rows": 3]))
        #expect(differing(store2.values, written.values) == 0)
        for (rank, range) in shards.ranges.enumerated() {
            #expect(differing(whole.firstMoment.values[range], optimizers[rank].firstMoment.values) == 0)
            #expect(differing(whole.secondMoment.values[range], optimizers[rank].secondMoment.values) == 0)
        }
        #expect(whole.stepCount == 11)
        // ... and by another number of shards (two ranks reading their halves).
        for range in ParameterShards(count: store.bufferCount, ranks: 2).ranges {
            let half = try AdamW(configuration: AdamWConfiguration(schedule: .constant(0.01)), parameters: store2, ownedRange: range)
            _ = try Checkpoint.read(from: path, into: try ParameterStore(layout: layout, roles: roles), optimizer: half)
            #expect(differing(half.firstMoment.values, whole.firstMoment.values[range]) == 0)
            #expect(differing(half.secondMoment.values, whole.secondMoment.values[range]) == 0)
            #expect(half.firstMoment.values.contains { $0 != 0 })
        }
    }

    @Test func missingOrDamagedShardsAreNamedAndRewritingRemovesOldShards() throws {
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("step-11.h5").path
        let store = try ParameterStore(layout: layout, roles: roles)
        let shards = ParameterShards(count: store.bufferCount, ranks: 3)
        let (written, optimizers) = try state(shards)
        try write(path, shards: shards, store: written, optimizers: optimizers)
        let shard = folder.appendingPathComponent("step-11.h5.shards-abc/rank-00002.h5")
        let saved = try Data(contentsOf: shard)

        try FileManager.default.removeItem(at: shard)
        let missing = message { _ = try Checkpoint.read(from: path, into: try ParameterStore(layout: layout, roles: roles)) }
        #expect(missing == "\(path): shard 2 of 3 is unusable: \(shard.path): no such file", "\(missing)")

        var damaged = saved
        let values = Array(written.values[131072..<131200])
        let found = try #require(damaged.range(of: values.withUnsafeBytes { Data($0) }))
        damaged[found.lowerBound + 21] ^= 0x10
        try damaged.write(to: shard)
        let flipped = message { _ = try Checkpoint.read(from: path, into: try ParameterStore(layout: layout, roles: roles)) }
        #expect(flipped.hasPrefix("\(path): dataset /params/embed.weight: reading failed"), "\(flipped)")

        // A new write of the same step uses a new folder, and removes the old one once the index is in place.
        try write(path, shards: shards, store: written, optimizers: optimizers, token: 0xdef)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["step-11.h5", "step-11.h5.shards-def"])
        #expect(throws: Never.self) { _ = try Checkpoint.read(from: path, into: try ParameterStore(layout: layout, roles: roles)) }
        ShardedCheckpoint.remove(path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test func hyperslabsCoverFlatRangesInOrder() {
        for shape in [[7], [3, 5], [4, 3, 2], [1, 9], [6, 1]] {
            let count = shape.reduce(1, *)
            for lower in 0...count { for upper in lower...count {
                let slabs = hyperslabs(covering: lower..<upper, of: shape)
                var flat: [Int] = []
                for slab in slabs { flat += elements(of: slab, in: shape) }
                #expect(flat == Array(lower..<upper), "\(shape) \(lower)..<\(upper): \(slabs)")
                #expect(slabs.count <= 2 * shape.count - 1)
            } }
        }
    }

    /// Row-major flat indices of a block, in order.
    func elements(of slab: Hyperslab, in shape: [Int]) -> [Int] {
        var result: [Int] = []
        func visit(_ dimension: Int, _ base: Int) {
            if dimension == shape.count { result.append(base); return }
            for i in slab.start[dimension]..<(slab.start[dimension] + slab.count[dimension]) { visit(dimension + 1, base * shape[dimension] + i) }
        }
        visit(0, 0)
        return result
    }
}
