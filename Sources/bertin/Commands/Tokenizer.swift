import ArgumentParser
import CorpusIO
import Distributed
import Foundation
import Tokenization

/// Byte-level BPE: train, encode, decode.
struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Train a byte-level BPE tokenizer, or encode/decode JSON lines with one.",
        subcommands: [Train.self, Encode.self, Decode.self])

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Learn vocab.json + merges.txt from mC4 shards (each document one sequence), as tokenizers' ByteLevelBPETokenizer.train.")

        @Option(name: .customLong("vocab-size"), help: "Target vocabulary size, special tokens included (BERTIN: 50265).")
        var vocabularySize: Int = 50265

        @Option(name: .customLong("min-frequency"), help: "A pair must occur this often to be merged (BERTIN: 2).")
        var minimumFrequency: Int = 2

        @Option(name: .customLong("special-tokens"), parsing: .upToNextOption,
                help: "Special tokens, first ids first (default RoBERTa's: <s> <pad> </s> <unk> <mask>). Without <s> and </s> the tokenizer adds nothing around a text, as GPT-2's: --special-tokens \"<|endoftext|>\".")
        var specialTokens: [String] = BPETokenizer.robertaSpecialTokens

        @Option(name: .customLong("max-words"), help: "Cap on distinct words held (about 370 bytes of peak memory each: 20M ≈ 8 GB); beyond it the rarest are dropped and the report says how many occurrences.")
        var maximumWords: Int = 20_000_000

        @Option(help: "Folder to write vocab.json, merges.txt and tokenizer_config.json into.")
        var output: String

        @Argument(help: "Corpus files (mC4 JSON lines, gzip or plain).")
        var files: [String]

        func run() throws {
            let started = Date()
            // Documents are counted in batches and dropped: memory is the word table, not the corpus.
            let counter = WordCounter(maximumWords: maximumWords)
            var batch: [String] = []
            let report = try CorpusReader(files: files).forEachDocument { document in
                batch.append(document.text)
                if batch.count == 4096 {
                    counter.add(batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            counter.add(batch)
            let counted = Date()
            if counter.prunedOccurrences > 0 {
                FileHandle.standardError.write(Data(("warning: more than \(counter.maximumWords) distinct words: \(counter.prunedOccurrences) occurrences of words "
                    + "seen at most \(counter.pruneThreshold) times were dropped (raise --max-words for tokenizers' exact counts)\n").utf8))
            }
            let tokenizer = try BPETrainer(vocabularySize: vocabularySize, minimumFrequency: minimumFrequency, specialTokens: specialTokens).train(words: counter.counts)
            try tokenizer.save(to: output)
            FileHandle.standardError.write(Data("\(report)\n".utf8))
            print("{\"vocab_size\": \(tokenizer.vocabularySize), \"merges\": \(tokenizer.mergeList.count), \"distinct_words\": \(counter.count), "
                  + "\"pruned_occurrences\": \(counter.prunedOccurrences), \"bytes_per_token\": \(counter.bytesPerToken(tokenizer)), "
                  + "\"count_seconds\": \(counted.timeIntervalSince(started)), \"seconds\": \(Date().timeIntervalSince(started)), "
                  + "\"peak_rss_bytes\": \(PeakMemory.bytes)}")
        }
    }

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read JSON lines with \"text\" (files or standard input), write {\"ids\": [...]} lines in order.")

        @Option(help: "Folder with tokenizer.json, or vocab.json + merges.txt.")
        var tokenizer: String

        @Flag(name: .customLong("no-special-tokens"), help: "Leave out <s> and </s>.")
        var noSpecialTokens = false

        @Argument(help: "Files (default: standard input).")
        var files: [String] = []

        func run() throws {
            let bpe = try BPETokenizer(directory: tokenizer)
            var cache: [[UInt8]: [Int32]] = [:]
            var output = ""
            let report = try CorpusReader(files: files.isEmpty ? ["/dev/stdin"] : files).forEachDocument { document in
                let ids = bpe.encode(document.text, addSpecialTokens: !noSpecialTokens, cache: &cache)
                output += "{\"ids\": [" + ids.map(String.init).joined(separator: ", ") + "]}\n"
                if output.utf8.count > 1 << 20 { FileHandle.standardOutput.write(Data(output.utf8)); output = "" }
            }
            FileHandle.standardOutput.write(Data(output.utf8))
            if report.skippedCount > 0 { FileHandle.standardError.write(Data("\(report)\n".utf8)) }
        }
    }

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read {\"ids\": [...]} lines (files or standard input), write {\"text\": ...} lines in order.")

        @Option(help: "Folder with tokenizer.json, or vocab.json + merges.txt.")
        var tokenizer: String

        @Flag(name: .customLong("keep-special-tokens"), help: "Write <s>, </s>, <mask>, ... instead of dropping them.")
        var keepSpecialTokens = false

        @Argument(help: "Files (default: standard input).")
        var files: [String] = []

        func run() throws {
            let bpe = try BPETokenizer(directory: tokenizer)
            for path in files.isEmpty ? ["/dev/stdin"] : files {
                let reader = try LineReader(path: path)
                while let line = reader.nextLine() {
                    if line.isEmpty { continue }
                    guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], let ids = object["ids"] as? [Int] else {
                        throw ValidationError("\(path):\(reader.lineNumber): expected {\"ids\": [...]}")
                    }
                    let text = try bpe.decode(ids.map { Int32(clamping: $0) }, skipSpecialTokens: !keepSpecialTokens)
                    let json = try JSONSerialization.data(withJSONObject: ["text": text], options: [.withoutEscapingSlashes])
                    FileHandle.standardOutput.write(json + Data("\n".utf8))
                }
            }
        }
    }
}
