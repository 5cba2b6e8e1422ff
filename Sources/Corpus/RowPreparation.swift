import AtomicFiles
import CorpusIO
import Foundation
import Kernels
import Tokenization

/// `bertin prepare`: documents → shuffled (seeded buffer) → tokenized with `<s> … </s>` → concatenated
/// → cut into rows of exactly `sequenceLength` tokens (no padding; rows cross document boundaries),
/// as BERTIN's run_mlm_flax did. A seeded fraction of documents goes to the eval split.
///
/// Each input file is a unit of work with its own shuffle buffer, hold-out draws and rows
/// (`RandomKey(seed, step: unit)`; the last incomplete row of a unit is dropped, at most
/// `sequenceLength − 1` tokens per file), so the rows are the same whichever process prepares a
/// file and however many there are: one process, `mpirun -np N`, or N processes with `--shard`.
/// Each unit's shards are renamed into place and recorded in `.progress/`; `index.json`, written
/// last when every unit is done, lists them in unit order. A killed job resumes by running again.
public struct RowPreparation {
    public let tokenizer: BPETokenizer
    public var sequenceLength: Int
    public var evalFraction: Double = 0.01
    public var shuffleBuffer = 10_000
    public var seed: UInt64 = 2021
    public var rowsPerShard = 65_536
    /// How a document becomes tokens: `<s> … </s>` for masked LM (BERTIN's RoBERTa); for causal LM
    /// the bare tokens followed by the end-of-text token (`<|endoftext|>` where the tokenizer has
    /// it, else `</s>`), so that concatenated documents are joined by it, as BERTIN's GPT-J data.
    public enum Framing: String, Sendable { case maskedLM = "masked", causalLM = "causal" }
    public var framing = Framing.maskedLM
    /// Which units this process does.
    public var share = WorkShare.whole
    /// Names the tokenizer in the settings a rerun must match (a hash of its files, by default none).
    public var tokenizerIdentity = ""
    public var progressInterval: TimeInterval = 10
    public var warn: (String) -> Void = { FileHandle.standardError.write(Data(("warning: " + $0 + "\n").utf8)) }

    public init(tokenizer: BPETokenizer, sequenceLength: Int) {
        self.tokenizer = tokenizer
        self.sequenceLength = sequenceLength
    }

    public struct Report: Sendable {
        /// What this process read.
        public var corpus = CorpusReport()
        /// The prepared data's index; nil while other shares still work.
        public var index: TokenRowsIndex?
        public var seconds = 0.0
    }

    /// A finished unit: what it read and the shards it wrote.
    struct UnitRecord: Codable {
        var corpus: CorpusReport
        var splits: [String: TokenRowsIndex.Split]
    }

    var dtype: String { tokenizer.vocabularySize <= 65_536 ? "uint16" : "int32" }

    /// Prepares this share's units of `files` (and `evalFiles`: a held-out shard, like mC4's
    /// validation files, forms the eval split instead of a fraction of `files`).
    public func run(files: [String], evalFiles: [String] = [], outputDirectory: String) throws -> Report {
        switch framing {
        case .maskedLM where tokenizer.postProcessor == .none:
            throw CorpusError.invalidInput(path: outputDirectory, reason: "the tokenizer adds no <s> … </s> (a GPT-2-style tokenizer): prepare masked-LM rows with a RoBERTa tokenizer, or use --objective causal")
        case .causalLM where endOfText == nil:
            throw CorpusError.invalidInput(path: outputDirectory, reason: "the tokenizer has neither <|endoftext|> nor </s> to join documents with")
        default: break
        }
        guard sequenceLength > 1 else { throw CorpusError.invalidInput(path: outputDirectory, reason: "the sequence length must exceed 1") }
        guard (0..<1).contains(evalFraction) else { throw CorpusError.invalidInput(path: outputDirectory, reason: "the eval fraction must lie in [0, 1)") }
        guard !files.isEmpty else { throw CorpusError.invalidInput(path: outputDirectory, reason: "no corpus files to prepare") }
        let started = Date()
        let units = files + evalFiles
        let progress = try JobProgress(output: outputDirectory, kind: "bertin prepare", settings: [
            "sequence_length": "\(sequenceLength)", "objective": framing.rawValue, "eval_fraction": "\(evalFraction)",
            "shuffle_buffer": "\(shuffleBuffer)", "seed": "\(seed)", "rows_per_shard": "\(rowsPerShard)",
            "tokenizer": tokenizerIdentity, "vocab_size": "\(tokenizer.vocabularySize)",
            "inputs": JobProgress.identity(ofInputs: files), "eval_inputs": JobProgress.identity(ofInputs: evalFiles),
        ])
        let mine = share.units(of: units.count)
        let line = ProgressLine(label: "prepare [share \(share)]", units: mine.count, bytes: mine.reduce(0) { $0 + fileSize(units[$1]) }, interval: progressInterval)
        var report = Report()
        for unit in mine {
            if let record = progress.record(of: unit, as: UnitRecord.self), Self.shardsExist(record, in: progress.output) {
                line.finishUnit(bytes: fileSize(units[unit]))
                continue
            }
            progress.removeLeftovers(startingWith: ["train", "eval"].map { Self.stem(split: $0, unit: unit) + "-" })
            let documentsBefore = report.corpus.documents
            let record = try prepare(unit: unit, file: units[unit], heldOut: evalFiles.isEmpty ? nil : unit >= files.count, into: progress.output) { bytes, documents in
                line.update(bytesInUnit: bytes, documents: documentsBefore + documents)
            }
            report.corpus.merge(record.corpus)
            try progress.finish(unit: unit, record: record)
            line.finishUnit(bytes: fileSize(units[unit]))
        }
        line.update(bytesInUnit: 0, documents: report.corpus.documents)
        line.print()
        report.index = try finish(units: units.count, progress: progress)
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    static func stem(split: String, unit: Int) -> String { String(format: "%@-%05d", split, unit) }

    static func shardsExist(_ record: UnitRecord, in folder: URL) -> Bool {
        record.splits.values.allSatisfy { $0.shards.allSatisfy { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0.file).path) } }
    }

    /// One input file's rows: its documents pass the unit's shuffle buffer and hold-out draws
    /// (`heldOut` nil) or all go to one split (`heldOut` true: eval, false: train).
    func prepare(unit: Int, file: String, heldOut: Bool?, into folder: URL, progress: @escaping (_ bytes: Int, _ documents: Int) -> Void) throws -> UnitRecord {
        let writers = ["train", "eval"].map { RowWriter(folder: folder, stem: Self.stem(split: $0, unit: unit), length: sequenceLength, dtype: dtype, rowsPerShard: rowsPerShard) }
        let holdOut = RandomKey(seed: seed, step: unit, stream: RandomStream.holdOut), shuffle = RandomKey(seed: seed, step: unit, stream: RandomStream.shuffle)
        var buffer: [(text: String, eval: Bool)] = []
        var pending: [(text: String, eval: Bool)] = []
        var ordinal = 0, draws = 0
        func tokenizePending() throws {
            let encoded = encodeInParallel(pending.map(\.text))
            for ((_, eval), ids) in zip(pending, encoded) { try writers[eval ? 1 : 0].append(ids) }
            pending.removeAll(keepingCapacity: true)
        }
        func emit(_ item: (text: String, eval: Bool)) throws {
            pending.append(item)
            if pending.count == 2048 { try tokenizePending() }
        }
        var reader = CorpusReader(files: [file])
        reader.warn = warn
        reader.progress = { progress($0, ordinal) }
        let corpus = try reader.readFile(file) { document in
            let eval = heldOut ?? (holdOut.uniform(at: ordinal) < evalFraction)
            ordinal += 1
            if buffer.count < shuffleBuffer {
                buffer.append((document.text, eval))
                return
            }
            // Shuffle buffer: a random resident leaves, the newcomer takes its place.
            let slot = Int(shuffle.uniform(at: draws) * Double(buffer.count))
            draws += 1
            try emit(buffer[slot])
            buffer[slot] = (document.text, eval)
        }
        while !buffer.isEmpty {
            let slot = Int(shuffle.uniform(at: draws) * Double(buffer.count))
            draws += 1
            buffer.swapAt(slot, buffer.count - 1)
            try emit(buffer.removeLast())
        }
        try tokenizePending()
        return UnitRecord(corpus: corpus, splits: ["train": try writers[0].finish(), "eval": try writers[1].finish()])
    }

    /// When every unit is done: writes index.json (its shards in unit order) and returns it; nil
    /// while some unit is missing. Safe in several processes at once: they write the same bytes.
    func finish(units: Int, progress: JobProgress) throws -> TokenRowsIndex? {
        var splits: [String: TokenRowsIndex.Split] = [:]
        for unit in 0..<units {
            guard let record = progress.record(of: unit, as: UnitRecord.self), Self.shardsExist(record, in: progress.output) else { return nil }
            for (name, split) in record.splits {
                var total = splits[name] ?? TokenRowsIndex.Split(rows: 0, documents: 0, tokens: 0, shards: [])
                total.rows += split.rows
                total.documents += split.documents
                total.tokens += split.tokens
                total.shards += split.shards
                splits[name] = total
            }
        }
        let index = TokenRowsIndex(
            sequenceLength: sequenceLength, dtype: dtype, vocabularySize: tokenizer.vocabularySize,
            specialTokenIDs: tokenizer.specialTokens.values.sorted(), maskTokenID: tokenizer.maskID, seed: seed, splits: splits)
        let data = try JobProgress.encode(index)
        try AtomicFile.write(to: progress.output.appendingPathComponent("index.json").path) { try $0.write(contentsOf: data) }
        return index
    }

    /// The token that ends every document in causal rows.
    public var endOfText: Int32? { tokenizer.documentEndID }

    /// Token ids of each text framed as `framing` says, on all cores (each worker keeps its own piece cache).
    public func encodeInParallel(_ texts: [String]) -> [[Int32]] {
        let workers = max(1, min(texts.count, ProcessInfo.processInfo.activeProcessorCount))
        var results = [[Int32]](repeating: [], count: texts.count)
        results.withUnsafeMutableBufferPointer { output in
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var cache: [[UInt8]: [Int32]] = [:]
                for index in stride(from: worker, to: texts.count, by: workers) {
                    switch framing {
                    case .maskedLM: output[index] = tokenizer.encode(texts[index], cache: &cache)
                    case .causalLM: output[index] = tokenizer.encode(texts[index], addSpecialTokens: false, cache: &cache) + [endOfText!]
                    }
                }
            }
        }
        return results
    }
}

/// Concatenates one unit's documents' tokens and writes whole rows into numbered shard files
/// (`<stem>-NNNN.u16`), each written under a temporary name and renamed into place by `finish`.
final class RowWriter {
    let folder: URL, stem: String, length: Int, dtype: String, rowsPerShard: Int
    private var carry: [Int32] = []
    private var handle: FileHandle?
    private var shards: [TokenRowsIndex.Shard] = []
    private var temporaries: [(temporary: String, path: String)] = []
    private var finished = false
    private(set) var documents = 0, tokens = 0

    init(folder: URL, stem: String, length: Int, dtype: String, rowsPerShard: Int) {
        (self.folder, self.stem, self.length, self.dtype, self.rowsPerShard) = (folder, stem, length, dtype, rowsPerShard)
    }

    deinit {
        try? handle?.close()
        // A unit that failed leaves no temporaries behind.
        if !finished { for (temporary, _) in temporaries { AtomicFile.discard(temporary) } }
    }

    func append(_ ids: [Int32]) throws {
        documents += 1
        tokens += ids.count
        carry.append(contentsOf: ids)
        var start = 0
        while carry.count - start >= length {
            try writeRow(carry[start..<(start + length)])
            start += length
        }
        carry.removeFirst(start)
    }

    private func writeRow(_ row: ArraySlice<Int32>) throws {
        if handle == nil || shards[shards.count - 1].rows == rowsPerShard {
            try handle?.close()
            let name = String(format: "%@-%04d.%@", stem, shards.count, dtype == "uint16" ? "u16" : "i32")
            let path = folder.appendingPathComponent(name).path, temporary = AtomicFile.temporaryPath(for: path)
            guard FileManager.default.createFile(atPath: temporary, contents: nil), let opened = FileHandle(forWritingAtPath: temporary) else {
                throw CorpusError.unreadableFile(path: path, reason: "cannot create \(temporary)")
            }
            handle = opened
            temporaries.append((temporary, path))
            shards.append(TokenRowsIndex.Shard(file: name, rows: 0))
        }
        var bytes = Data(capacity: row.count * 4)
        if dtype == "uint16" {
            for id in row { withUnsafeBytes(of: UInt16(id).littleEndian) { bytes.append(contentsOf: $0) } }
        } else {
            for id in row { withUnsafeBytes(of: id.littleEndian) { bytes.append(contentsOf: $0) } }
        }
        try handle!.write(contentsOf: bytes)
        shards[shards.count - 1].rows += 1
    }

    /// Closes the last shard and renames every shard into place.
    func finish() throws -> TokenRowsIndex.Split {
        try handle?.close()
        handle = nil
        for (temporary, path) in temporaries { try AtomicFile.commit(temporary: temporary, to: path) }
        finished = true
        return TokenRowsIndex.Split(rows: shards.reduce(0) { $0 + $1.rows }, documents: documents, tokens: tokens, shards: shards)
    }
}
