import AtomicFiles
import Foundation
import Kernels

/// `bertin prepare`: documents → shuffled (seeded buffer) → tokenized with `<s> … </s>` → concatenated
/// → cut into rows of exactly `sequenceLength` tokens (no padding; rows cross document boundaries;
/// the incomplete tail is dropped), as BERTIN's run_mlm_flax did. A seeded fraction of documents
/// goes to the eval split. Everything is written to a temporary folder renamed into place at the end.
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
    public var warn: (String) -> Void = { FileHandle.standardError.write(Data(("warning: " + $0 + "\n").utf8)) }

    public init(tokenizer: BPETokenizer, sequenceLength: Int) {
        self.tokenizer = tokenizer
        self.sequenceLength = sequenceLength
    }

    public struct Report: Sendable {
        public var corpus = CorpusReport()
        public var index: TokenRowsIndex
        public var seconds = 0.0
    }

    /// Prepares `files`; with `evalFiles` (a held-out shard, like mC4's validation files) those form
    /// the eval split instead of a fraction of `files`.
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
        let started = Date()
        let output = URL(fileURLWithPath: outputDirectory)
        guard !FileManager.default.fileExists(atPath: output.path) else {
            throw CorpusError.invalidInput(path: output.path, reason: "already exists; remove it or choose another --output (prepared data is never overwritten)")
        }
        let temporary = URL(fileURLWithPath: AtomicFile.temporaryPath(for: output.path))
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        do {
            let dtype = tokenizer.vocabularySize <= 65_536 ? "uint16" : "int32"
            let writers = ["train": RowWriter(folder: temporary, split: "train", length: sequenceLength, dtype: dtype, rowsPerShard: rowsPerShard),
                           "eval": RowWriter(folder: temporary, split: "eval", length: sequenceLength, dtype: dtype, rowsPerShard: rowsPerShard)]
            let holdOut = RandomKey(seed: seed, stream: RandomStream.holdOut), shuffle = RandomKey(seed: seed, stream: RandomStream.shuffle)
            var buffer: [(text: String, split: String)] = []
            var pending: [(text: String, split: String)] = []
            var ordinal = 0, draws = 0
            func tokenizePending() throws {
                let encoded = encodeInParallel(pending.map(\.text))
                for ((_, split), ids) in zip(pending, encoded) { try writers[split]!.append(ids) }
                pending.removeAll(keepingCapacity: true)
            }
            func emit(_ item: (text: String, split: String)) throws {
                pending.append(item)
                if pending.count == 2048 { try tokenizePending() }
            }
            var reader = CorpusReader(files: files + evalFiles)
            reader.warn = warn
            let evalPaths = Set(evalFiles)
            let corpus = try reader.forEachDocument { document in
                let split: String
                if evalFiles.isEmpty { split = holdOut.uniform(at: ordinal) < evalFraction ? "eval" : "train" }
                else { split = evalPaths.contains(document.file) ? "eval" : "train" }
                ordinal += 1
                if buffer.count < shuffleBuffer {
                    buffer.append((document.text, split))
                    return
                }
                // Shuffle buffer: a random resident leaves, the newcomer takes its place.
                let slot = Int(shuffle.uniform(at: draws) * Double(buffer.count))
                draws += 1
                try emit(buffer[slot])
                buffer[slot] = (document.text, split)
            }
            while !buffer.isEmpty {
                let slot = Int(shuffle.uniform(at: draws) * Double(buffer.count))
                draws += 1
                buffer.swapAt(slot, buffer.count - 1)
                try emit(buffer.removeLast())
            }
            try tokenizePending()
            var splits: [String: TokenRowsIndex.Split] = [:]
            for (name, writer) in writers { splits[name] = try writer.finish() }
            let index = TokenRowsIndex(
                sequenceLength: sequenceLength, dtype: dtype, vocabularySize: tokenizer.vocabularySize,
                specialTokenIDs: tokenizer.specialTokens.values.sorted(), maskTokenID: tokenizer.maskID, seed: seed, splits: splits)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(index).write(to: temporary.appendingPathComponent("index.json"))
            try AtomicFile.commit(temporary: temporary.path, to: output.path)
            return Report(corpus: corpus, index: index, seconds: Date().timeIntervalSince(started))
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
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

/// Concatenates documents' tokens and writes whole rows into numbered shard files.
final class RowWriter {
    let folder: URL, split: String, length: Int, dtype: String, rowsPerShard: Int
    private var carry: [Int32] = []
    private var handle: FileHandle?
    private var shards: [TokenRowsIndex.Shard] = []
    private(set) var documents = 0, tokens = 0

    init(folder: URL, split: String, length: Int, dtype: String, rowsPerShard: Int) {
        (self.folder, self.split, self.length, self.dtype, self.rowsPerShard) = (folder, split, length, dtype, rowsPerShard)
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
            let name = String(format: "%@-%05d.%@", split, shards.count, dtype == "uint16" ? "u16" : "i32")
            _ = FileManager.default.createFile(atPath: folder.appendingPathComponent(name).path, contents: nil)
            handle = try FileHandle(forWritingTo: folder.appendingPathComponent(name))
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

    func finish() throws -> TokenRowsIndex.Split {
        try handle?.synchronize()
        try handle?.close()
        return TokenRowsIndex.Split(rows: shards.reduce(0) { $0 + $1.rows }, documents: documents, tokens: tokens, shards: shards)
    }
}
