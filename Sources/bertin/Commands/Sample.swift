import ArgumentParser
import Corpus
import CorpusIO
import Foundation
import NGram

/// BERTIN's perplexity sampling of an mC4-format corpus.
struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Keep documents by perplexity (gaussian, stepwise) or at random, writing sampled shards of the same format.",
        discussion: """
            Defaults are BERTIN's: boundaries 536394.99 / 662247.50 / 919250.87 (quartiles of mC4-es under CCNet's \
            Spanish model), gaussian factor 0.78 and width 4.5, stepwise factor 1.5e5, random 0.5. Another language \
            model gives other quartiles: --estimate-boundaries N scores the first N documents and uses their quartiles. \
            BERTIN's factors are in the units of CCNet's model: with another model use --keep-fraction F, which solves the \
            factor on the estimation sample (the --estimate-boundaries documents, else the first 10000) so that about F \
            of the documents are kept; a warning says when the factor keeps every document of some quartile. \
            Deterministic for a seed at any thread count and any number of processes. Output: --output-shards gzip \
            files named as BERTIN's mc4-es-sampled (<prefix>-<size>-<method>-shard-NNNN-of-MMMM.json.gz), each fed \
            by a contiguous group of the inputs, and manifest.json, written last. Run it as one process, under \
            mpirun -np N, or as N processes with --shard i/N (one process per node: each uses all its cores); the \
            files are the same. A killed job resumes by rerunning the same command: finished shards are kept, \
            partial ones redone. --max-documents keeps the first N accepted documents in shard order. Prints a \
            JSON report (kept/seen per quartile, histogram).
            """)

    @Option(help: "Language model: ARPA (plain or .gz) or a KenLM binary (probing, trie, quantised), recognised from its first bytes.")
    var model: String

    @Option(help: "gaussian, stepwise or random.")
    var method: String = "gaussian"

    @Option(help: "Override the method's factor.")
    var factor: Double?

    @Option(help: "Override the quartile boundaries: three comma-separated perplexities.")
    var boundaries: String?

    @Option(name: .customLong("estimate-boundaries"), help: "Estimate the boundaries from the first N documents instead.")
    var estimateBoundaries: Int?

    @Option(name: .customLong("keep-fraction"), help: "Solve the factor so that about this fraction of the documents is kept.")
    var keepFraction: Double?

    @Flag(name: .customLong("ccnet-normalize"), help: "Score CCNet-normalised lines (lowercase, accents and control characters stripped, digits to 0, punctuation mapped; no sentencepiece) instead of raw ones.")
    var ccnetNormalize = false

    @Option(help: "Seed of the keep decisions.")
    var seed: UInt64 = 2021

    @Option(help: "Folder for the sampled shards and manifest.json (new, or a previous run of the same command to resume).")
    var output: String

    @Option(name: .customLong("output-shards"), help: "Output shards (default: one per input file; BERTIN: 1024 from mC4-es's 2048).")
    var outputShards: Int?

    @Option(help: "Shard name prefix (mc4-es-sampled's).")
    var prefix = "mc4-es-train"

    @Option(name: .customLong("max-documents"), help: "Keep only the first N accepted documents, in shard order (BERTIN: 50000000).")
    var maxDocuments: Int?

    @Option(help: "Do share i of N (0-based: 0/4 … 3/4) as one of N independent processes; under mpirun the rank is the share.")
    var shard: String?

    @Option(name: .customLong("progress-seconds"), help: "Seconds between progress lines on stderr.")
    var progressSeconds: Double = 10

    @Option(help: "Also write the perplexity histogram as an SVG plot here.")
    var plot: String?

    @Argument(help: "Corpus files (mC4 JSON lines, gzip or plain).")
    var files: [String]

    func validate() throws {
        guard SamplingMethod(rawValue: method) != nil else { throw ValidationError("--method must be gaussian, stepwise or random") }
        guard boundaries == nil || estimateBoundaries == nil else { throw ValidationError("give --boundaries or --estimate-boundaries, not both") }
        guard !files.isEmpty else { throw ValidationError("name at least one corpus file") }
        guard keepFraction == nil || factor == nil else { throw ValidationError("give --factor or --keep-fraction, not both") }
    }

    func run() throws {
        let languageModel = try NGramModel(path: model)
        var chosen = PerplexitySampler.bertinBoundaries
        if let boundaries {
            let values = boundaries.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard values.count == 3 else { throw ValidationError("--boundaries needs three comma-separated numbers") }
            chosen = values
        }
        // The estimation sample: the first N documents' perplexities, for boundaries and the factor.
        var estimation: [Double] = []
        if estimateBoundaries != nil || keepFraction != nil {
            let count = estimateBoundaries ?? 10_000
            var texts: [String] = []
            var reader = CorpusReader(files: files)
            reader.warn = { _ in }
            do {
                try reader.forEachDocument { document in
                    texts.append(document.text)
                    if texts.count == count { throw StopReading() }
                }
            } catch is StopReading {}
            estimation = try languageModel.documentPerplexities(texts, normalize: ccnetNormalize).map(\.perplexity)
            if estimateBoundaries != nil {
                chosen = try quartileBoundaries(of: estimation)
                FileHandle.standardError.write(Data("boundaries from \(texts.count) documents: \(chosen)\n".utf8))
            }
        }
        var sampler = try PerplexitySampler(method: SamplingMethod(rawValue: method)!, boundaries: chosen, factor: factor)
        if let keepFraction {
            sampler = try sampler.solvingFactor(keepFraction: keepFraction, over: estimation)
            FileHandle.standardError.write(Data("factor \(sampler.factor) keeps about \(keepFraction) of the \(estimation.count) estimation documents\n".utf8))
        }
        let saturated = sampler.saturatedQuartiles
        // BERTIN's stepwise setting keeps all of quartile 1 on purpose: only warn beyond that.
        let bertinStepwise = sampler.method == .stepwise && sampler.boundaries == PerplexitySampler.bertinBoundaries && saturated == [1]
        if !saturated.isEmpty && !bertinStepwise {
            FileHandle.standardError.write(Data(("warning: factor \(sampler.factor) keeps every document of quartile(s) \(saturated.map(String.init).joined(separator: ", ")) "
                + "with probability 1 (boundaries \(chosen)); BERTIN's factors are in CCNet perplexity units: use --keep-fraction with another model\n").utf8))
        }
        var sampling = SamplingRun(model: languageModel, sampler: sampler, seed: seed)
        sampling.normalize = ccnetNormalize
        sampling.outputShards = outputShards
        sampling.prefix = prefix
        sampling.maxDocuments = maxDocuments
        sampling.share = try corpusShare(shard)
        sampling.modelIdentity = "\(URL(fileURLWithPath: model).lastPathComponent) \(fileSize(model)) bytes"
        sampling.progressInterval = progressInterval(progressSeconds)
        guard let report = try sampling.run(files: files, outputDirectory: output) else {
            reportShareDone(sampling.share, output: output, finalFile: "manifest.json")
            return
        }
        if let plot {
            try report.svg(boundaries: chosen).write(toFile: plot, atomically: true, encoding: .utf8)
        }
        FileHandle.standardError.write(Data("\(report.corpus)\n".utf8))
        print(report.json)
    }
}

struct StopReading: Error {}
