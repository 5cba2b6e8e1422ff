import AtomicFiles
import CorpusIO
import Foundation
import Kernels
import NGram

/// Perplexity sampling over corpus files, sharded and resumable. The inputs are cut into output
/// shards (`SampledShards`); each shard is a unit of work done by one process (share `u % N` of a
/// job run as N processes) and recorded in `.progress/` once its file is in place. Each document is
/// kept by the draw `RandomKey(seed, step: input file index).uniform(at: document ordinal in file)`,
/// so the kept documents depend on the seed and the inputs only: the same at any thread count,
/// batch size and number of processes. When every needed shard is done, the process that notices
/// applies `maxDocuments` (the first accepted documents in shard order, as BERTIN's "first 50M
/// accepted": the shard where the count is reached is cut, later shards are left empty) and writes
/// `manifest.json`, last.
public struct SamplingRun {
    public let model: NGramModel
    public let sampler: PerplexitySampler
    public let seed: UInt64
    /// Score CCNet-normalised lines instead of raw ones.
    public var normalize = false
    public var batchSize = 1024
    /// Output shards (nil: one per input file), their name prefix and the cap on kept documents.
    public var outputShards: Int?
    public var prefix = "mc4-es-train"
    public var maxDocuments: Int?
    /// Which units this process does.
    public var share = WorkShare.whole
    /// Names the model in the settings a rerun must match and in the manifest (the command gives
    /// its file name and size).
    public var modelIdentity = ""
    public var progressInterval: TimeInterval = 10
    public var warn: (String) -> Void = { FileHandle.standardError.write(Data(("warning: " + $0 + "\n").utf8)) }

    public init(model: NGramModel, sampler: PerplexitySampler, seed: UInt64) {
        (self.model, self.sampler, self.seed) = (model, sampler, seed)
    }

    /// Samples this share's shards of `files` into `outputDirectory`, skipping shards a previous run
    /// finished. Returns the report of the whole job when it is complete (this process wrote the
    /// manifest), nil while other shares still work.
    public func run(files: [String], outputDirectory: String) throws -> SamplingReport? {
        let started = Date()
        let shards = try SampledShards(inputs: files, count: outputShards, prefix: prefix, method: sampler.method, maxDocuments: maxDocuments)
        let progress = try JobProgress(output: outputDirectory, kind: "bertin sample", settings: settings(shards))
        let mine = share.units(of: shards.count)
        let line = ProgressLine(label: "sample [share \(share)]", units: mine.count,
                                bytes: mine.flatMap { Array(shards.inputRange($0)) }.reduce(0) { $0 + fileSize(files[$1]) }, interval: progressInterval)
        var scored = 0
        for shard in mine {
            let inputBytes = shards.inputRange(shard).reduce(0) { $0 + fileSize(files[$1]) }
            let path = progress.output.appendingPathComponent(shards.name(shard)).path
            let finished = progress.record(of: shard, as: SampledShardRecord.self) != nil && FileManager.default.fileExists(atPath: path)
            if finished || Self.capReached(before: shard, shards: shards, progress: progress) {
                line.finishUnit(bytes: inputBytes)
                continue
            }
            progress.removeLeftovers(startingWith: [shards.name(shard)])
            let record = try sample(shard: shard, of: shards, to: path) { bytes, documents in
                line.update(bytesInUnit: bytes, documents: scored + documents)
            }
            scored += record.corpus.documents
            try progress.finish(unit: shard, record: record)
            line.finishUnit(bytes: inputBytes)
        }
        line.update(bytesInUnit: 0, documents: scored)
        line.print()
        guard var report = try finish(shards: shards, progress: progress) else { return nil }
        report.seconds = Date().timeIntervalSince(started)
        report.scoredHere = scored
        return report
    }

    /// Everything the sampled files depend on: a rerun into the same folder must match it.
    func settings(_ shards: SampledShards) -> [String: String] {
        [
            "method": sampler.method.rawValue, "factor": "\(sampler.factor)", "width": "\(sampler.width)",
            "boundaries": sampler.boundaries.map { "\($0)" }.joined(separator: ","), "seed": "\(seed)",
            "ccnet_normalize": "\(normalize)", "model": modelIdentity, "inputs": JobProgress.identity(ofInputs: shards.inputs),
            "output_shards": "\(shards.count)", "prefix": shards.prefix, "max_documents": shards.maxDocuments.map(String.init) ?? "none",
        ]
    }

    /// Scores the inputs of `shard` and writes the documents the rule accepts to `path` (gzip,
    /// renamed into place when complete).
    func sample(shard: Int, of shards: SampledShards, to path: String, progress: @escaping (_ bytes: Int, _ documents: Int) -> Void) throws -> SampledShardRecord {
        var record = SampledShardRecord()
        var histogram: [Int: Int] = [:]
        let writer = try GzipLineWriter(path: path)
        var bytesBefore = 0
        for input in shards.inputRange(shard) {
            let file = shards.inputs[input]
            let key = RandomKey(seed: seed, step: input, stream: RandomStream.sampling)
            var ordinal = 0
            var pending: [Document] = []
            func flush() throws {
                let perplexities = model.documentPerplexities(pending.map(\.text), normalize: normalize).map(\.perplexity)
                for (document, perplexity) in zip(pending, perplexities) {
                    let quartile = sampler.quartile(of: perplexity)
                    record.seenPerQuartile[quartile] += 1
                    if perplexity.isFinite, perplexity > 0 { histogram[Int((log10(perplexity) * 10).rounded(.down)), default: 0] += 1 }
                    if sampler.keeps(perplexity: perplexity, uniform: key.uniform(at: ordinal)) {
                        record.keptPerQuartile[quartile] += 1
                        try writer.write(line: document.json)
                    }
                    ordinal += 1
                }
                pending.removeAll(keepingCapacity: true)
            }
            var reader = CorpusReader(files: [file])
            reader.warn = warn
            let documentsBefore = record.corpus.documents
            reader.progress = { progress(bytesBefore + $0, documentsBefore + ordinal + pending.count) }
            record.corpus.merge(try reader.readFile(file) { document in
                pending.append(document)
                if pending.count == batchSize { try flush() }
            })
            try flush()
            bytesBefore += fileSize(file)
        }
        try writer.finish()
        record.histogram = histogram.keys.sorted().map { [$0, histogram[$0]!] }
        return record
    }

    /// Whether the shards before `shard` are all done and already accept `maxDocuments`: then
    /// `shard` is not needed.
    static func capReached(before shard: Int, shards: SampledShards, progress: JobProgress) -> Bool {
        guard let cap = shards.maxDocuments else { return false }
        var accepted = 0
        for earlier in 0..<shard {
            guard let record = progress.record(of: earlier, as: SampledShardRecord.self) else { return false }
            accepted += record.accepted
            if accepted >= cap { return true }
        }
        return false
    }

    /// When every shard the job needs is done: applies the cap and writes the manifest. Returns nil
    /// while some needed shard is missing. Safe to run in several processes at once, and again
    /// after a crash inside it: each step writes the same bytes to a temporary and renames it.
    func finish(shards: SampledShards, progress: JobProgress) throws -> SamplingReport? {
        var report = SamplingReport()
        var entries: [SampledCorpusManifest.Shard] = []
        var written = 0
        for shard in 0..<shards.count {
            let inputs = shards.inputRange(shard).map { URL(fileURLWithPath: shards.inputs[$0]).lastPathComponent }
            let path = progress.output.appendingPathComponent(shards.name(shard)).path
            if let cap = shards.maxDocuments, written >= cap {
                // Not needed: left empty, so that every named shard exists. A share that was still
                // sampling it when the cap became known renames its file here later, then runs
                // this again itself, which empties it once more.
                if !Self.isEmptyShard(path) { try GzipLineWriter(path: path).finish() }
                entries.append(.init(file: shards.name(shard), inputs: inputs, documents: 0))
                continue
            }
            guard let record = progress.record(of: shard, as: SampledShardRecord.self), FileManager.default.fileExists(atPath: path) else { return nil }
            report.merge(record)
            var documents = record.accepted
            if let cap = shards.maxDocuments, written + documents > cap {
                documents = cap - written
                report.beyondMaxDocuments += record.accepted - documents
                try Self.truncate(path, toLines: documents)
            }
            written += documents
            entries.append(.init(file: shards.name(shard), inputs: inputs, documents: documents, seen: record.seenPerQuartile.reduce(0, +), accepted: record.accepted))
        }
        let manifest = SampledCorpusManifest(
            method: sampler.method.rawValue, factor: sampler.factor, boundaries: sampler.boundaries, seed: seed,
            model: modelIdentity,
            ccnetNormalize: normalize, maxDocuments: shards.maxDocuments, documents: written, seen: report.seen, shards: entries)
        let data = try JobProgress.encode(manifest)
        try AtomicFile.write(to: progress.output.appendingPathComponent("manifest.json").path) { try $0.write(contentsOf: data) }
        return report
    }

    /// Keeps the first `count` lines of a sampled shard (a no-op when it has no more), streaming:
    /// a shard can be gigabytes.
    static func truncate(_ path: String, toLines count: Int) throws {
        let reader = try LineReader(path: path)
        let writer = try GzipLineWriter(path: path)
        for _ in 0..<count {
            guard let line = reader.nextLine() else { return }  // the writer's temporary goes with it
            try writer.write(line: line)
        }
        guard reader.nextLine() != nil else { return }
        try writer.finish()
    }

    static func isEmptyShard(_ path: String) -> Bool {
        guard FileManager.default.fileExists(atPath: path), let reader = try? LineReader(path: path) else { return false }
        return reader.nextLine() == nil && reader.damage == nil
    }
}
