import Corpus
import CorpusIO
import Foundation
import Kernels

/// Serves global batches of prepared rows, split into one slice per device (pmap's
/// `[devices, per_device, ...]` reshape). Each epoch visits every row once in an order shuffled by
/// (seed, epoch); an incomplete last batch is dropped. The position is two counters that a
/// checkpoint stores and `restore` resumes from exactly.
public final class BatchLoader {
    public let rows: TokenRows
    public let globalBatchSize: Int
    public let devices: Int
    public let seed: UInt64
    public private(set) var epoch = 0
    public private(set) var batchInEpoch = 0
    private var order: [Int] = []

    public init(rows: TokenRows, globalBatchSize: Int, devices: Int, seed: UInt64) throws {
        guard devices > 0, globalBatchSize > 0, globalBatchSize % devices == 0 else {
            throw CorpusError.invalidInput(path: rows.split, reason: "a global batch of \(globalBatchSize) rows does not divide across \(devices) devices")
        }
        guard rows.count >= globalBatchSize else {
            throw CorpusError.invalidInput(path: rows.split, reason: "the split holds \(rows.count) rows, fewer than one global batch of \(globalBatchSize)")
        }
        (self.rows, self.globalBatchSize, self.devices, self.seed) = (rows, globalBatchSize, devices, seed)
        order = Self.permutation(count: rows.count, seed: seed, epoch: 0)
    }

    public var batchesPerEpoch: Int { rows.count / globalBatchSize }
    public var perDeviceBatchSize: Int { globalBatchSize / devices }

    /// The next global batch as `[device][row][token]`; advances the position.
    public func next() -> [[[Int32]]] {
        if batchInEpoch == batchesPerEpoch {
            epoch += 1
            batchInEpoch = 0
            order = Self.permutation(count: rows.count, seed: seed, epoch: epoch)
        }
        let start = batchInEpoch * globalBatchSize
        batchInEpoch += 1
        return (0..<devices).map { device in
            (0..<perDeviceBatchSize).map { rows.row(order[start + device * perDeviceBatchSize + $0]) }
        }
    }

    /// Counters for a checkpoint's `/progress/data`.
    public var position: [String: Int64] { ["epoch": Int64(epoch), "batch": Int64(batchInEpoch)] }

    public func restore(_ position: [String: Int64]) throws {
        guard let epoch = position["epoch"], let batch = position["batch"], epoch >= 0, (0...Int64(batchesPerEpoch)).contains(batch) else {
            throw CorpusError.invalidInput(path: rows.split, reason: "data position \(position) does not fit this data (\(batchesPerEpoch) batches per epoch)")
        }
        self.epoch = Int(epoch)
        batchInEpoch = Int(batch)
        order = Self.permutation(count: rows.count, seed: seed, epoch: self.epoch)
    }

    /// Fisher–Yates driven by the counter-based generator.
    public static func permutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var order = Array(0..<count)
        let key = RandomKey(seed: seed, step: epoch, stream: RandomStream.epochOrder)
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(key.uniform(at: i) * Double(i + 1)))
        }
        return order
    }
}
