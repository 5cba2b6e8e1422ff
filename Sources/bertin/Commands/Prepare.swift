import ArgumentParser
import Corpus
import CorpusIO
import Foundation
import Tokenization

/// Tokenize once, train many times.
struct Prepare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tokenize documents, concatenate them and cut fixed rows of 128 or 512 tokens into compact shards.",
        discussion: """
            Documents pass a seeded shuffle buffer (BERTIN: 10,000), are tokenized with <s> ... </s>, concatenated \
            and cut into rows of exactly --sequence-length tokens: no padding, rows cross document boundaries. \
            A seeded --eval-fraction of the documents forms the eval split. Writes index.json and uint16 shards \
            (int32 when the vocabulary exceeds 65,536) into --output. Each input file is shuffled, held out and cut \
            on its own (its last incomplete row is dropped), so the rows are the same from one process, under \
            mpirun -np N, or from N processes with --shard i/N (one process per node: each uses all its cores). \
            index.json is written last, when every file is done; a killed job resumes by rerunning the same command.
            """)

    @Option(help: "Folder with tokenizer.json, or vocab.json + merges.txt.")
    var tokenizer: String

    @Option(name: .customLong("sequence-length"), help: "Tokens per row (BERTIN: 128, then 512).")
    var sequenceLength: Int = 128

    @Option(name: .customLong("eval-fraction"), help: "Fraction of documents held out for evaluation.")
    var evalFraction: Double = 0.01

    @Option(name: .customLong("eval-file"), help: "A held-out corpus file for the eval split (repeatable); replaces --eval-fraction.")
    var evalFiles: [String] = []

    @Option(name: .customLong("shuffle-buffer"), help: "Documents in the shuffle buffer.")
    var shuffleBuffer: Int = 10_000

    @Option(help: "Seed of the shuffle and the hold-out.")
    var seed: UInt64 = 2021

    @Option(help: "masked: each document as <s> … </s> (RoBERTa); causal: documents joined by the end-of-text token (GPT-J), rows of exactly --sequence-length (2048 for GPT-J).")
    var objective: String = "masked"

    @Option(help: "Folder to create (or a previous run of the same command to resume).")
    var output: String

    @Option(help: "Do share i of N (0-based: 0/4 … 3/4) as one of N independent processes; under mpirun the rank is the share.")
    var shard: String?

    @Option(name: .customLong("progress-seconds"), help: "Seconds between progress lines on stderr.")
    var progressSeconds: Double = 10

    @Argument(help: "Corpus files (mC4 JSON lines, gzip or plain).")
    var files: [String]

    func run() throws {
        var preparation = RowPreparation(tokenizer: try BPETokenizer(directory: tokenizer), sequenceLength: sequenceLength)
        guard let framing = RowPreparation.Framing(rawValue: objective) else { throw ValidationError("--objective is masked or causal") }
        preparation.framing = framing
        preparation.evalFraction = evalFraction
        preparation.shuffleBuffer = shuffleBuffer
        preparation.seed = seed
        preparation.share = try corpusShare(shard)
        preparation.progressInterval = progressInterval(progressSeconds)
        preparation.tokenizerIdentity = JobProgress.identity(ofFiles: ["tokenizer.json", "vocab.json", "merges.txt", "special_tokens_map.json", "tokenizer_config.json"]
            .map { URL(fileURLWithPath: tokenizer).appendingPathComponent($0).path })
        let report = try preparation.run(files: files, evalFiles: evalFiles, outputDirectory: output)
        FileHandle.standardError.write(Data("\(report.corpus)\n".utf8))
        guard let index = report.index else {
            reportShareDone(preparation.share, output: output, finalFile: "index.json")
            return
        }
        for (name, split) in index.splits.sorted(by: { $0.key < $1.key }) {
            print("{\"split\": \"\(name)\", \"documents\": \(split.documents), \"tokens\": \(split.tokens), \"rows\": \(split.rows), \"sequence_length\": \(sequenceLength)}")
        }
        print("{\"seconds\": \(report.seconds)}")
    }
}
