import Foundation
import Kernels

/// What a sampling pass saw and kept.
public struct SamplingReport: Sendable {
    public var corpus = CorpusReport()
    public var seenPerQuartile = [Int](repeating: 0, count: 4)
    public var keptPerQuartile = [Int](repeating: 0, count: 4)
    /// Documents per bin of log10(perplexity), bins 0.1 wide: key = floor(10 · log10 ppl).
    public var histogram: [Int: Int] = [:]
    public var seconds = 0.0

    public var seen: Int { seenPerQuartile.reduce(0, +) }
    public var kept: Int { keptPerQuartile.reduce(0, +) }

    public var json: String {
        let bins = histogram.keys.sorted().map { "[\(Double($0) / 10), \(histogram[$0]!)]" }.joined(separator: ", ")
        return """
            {"seen": \(seen), "kept": \(kept), "seen_per_quartile": \(seenPerQuartile), "kept_per_quartile": \(keptPerQuartile), \
            "skipped": \(corpus.skippedCount), "documents_per_second": \(Double(seen) / max(seconds, 1e-9)), \
            "log10_perplexity_histogram": [\(bins)]}
            """
    }

    /// The histogram as an SVG bar chart (seen documents per 0.1 of log10 perplexity, quartile
    /// boundaries as vertical lines).
    public func svg(boundaries: [Double]) -> String {
        guard let low = histogram.keys.min(), let high = histogram.keys.max() else { return "<svg xmlns=\"http://www.w3.org/2000/svg\"/>" }
        let (width, height, margin) = (640.0, 320.0, 40.0)
        let tallest = Double(histogram.values.max()!)
        let barWidth = (width - 2 * margin) / Double(high - low + 1)
        func x(_ log10Perplexity: Double) -> Double { margin + (log10Perplexity * 10 - Double(low)) * barWidth }
        var parts = ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">"]
        for (bin, count) in histogram.sorted(by: { $0.key < $1.key }) {
            let barHeight = (height - 2 * margin) * Double(count) / tallest
            parts.append(String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#4477aa\"/>",
                                margin + Double(bin - low) * barWidth, height - margin - barHeight, max(barWidth - 1, 0.5), barHeight))
        }
        for boundary in boundaries {
            let position = x(log10(boundary))
            parts.append(String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#cc3311\"/>", position, margin, position, height - margin))
        }
        parts.append("<text x=\"\(margin)\" y=\"\(height - 10)\">log10 perplexity \(Double(low) / 10) … \(Double(high + 1) / 10); red: quartile boundaries</text>")
        parts.append("<text x=\"\(margin)\" y=\"20\">documents seen: \(seen), kept: \(kept)</text>")
        return parts.joined(separator: "\n") + "\n</svg>\n"
    }
}

/// Perplexity sampling over corpus files: documents are scored in parallel batches and each is
/// kept by the draw `RandomKey(seed).uniform(at: ordinal)` (its position in the whole input), so the
/// result is the same at any thread count. Kept documents are written, byte for byte, to
/// `outputDirectory/<input file name>` (gzip).
public struct SamplingRun {
    public let model: NGramModel
    public let sampler: PerplexitySampler
    public let seed: UInt64
    /// Score CCNet-normalised lines instead of raw ones.
    public var normalize = false
    public var batchSize = 1024
    public var warn: (String) -> Void = { FileHandle.standardError.write(Data(("warning: " + $0 + "\n").utf8)) }

    public init(model: NGramModel, sampler: PerplexitySampler, seed: UInt64) {
        (self.model, self.sampler, self.seed) = (model, sampler, seed)
    }

    public func run(files: [String], outputDirectory: String) throws -> SamplingReport {
        var report = SamplingReport()
        let started = Date()
        let key = RandomKey(seed: seed, stream: RandomStream.sampling)
        var ordinal = 0
        for path in files {
            let name = URL(fileURLWithPath: path).lastPathComponent
            let writer = try GzipLineWriter(path: URL(fileURLWithPath: outputDirectory).appendingPathComponent(name).path)
            var pending: [Document] = []
            func flush() throws {
                let perplexities = model.documentPerplexities(pending.map(\.text), normalize: normalize).map(\.perplexity)
                for (document, perplexity) in zip(pending, perplexities) {
                    let quartile = sampler.quartile(of: perplexity)
                    report.seenPerQuartile[quartile] += 1
                    if perplexity.isFinite, perplexity > 0 { report.histogram[Int((log10(perplexity) * 10).rounded(.down)), default: 0] += 1 }
                    if sampler.keeps(perplexity: perplexity, uniform: key.uniform(at: ordinal)) {
                        report.keptPerQuartile[quartile] += 1
                        try writer.write(line: document.json)
                    }
                    ordinal += 1
                }
                pending.removeAll(keepingCapacity: true)
            }
            var reader = CorpusReader(files: [path])
            reader.warn = warn
            report.corpus.merge(try reader.readFile(path) { document in
                pending.append(document)
                if pending.count == batchSize { try flush() }
            })
            try flush()
            try writer.finish()
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }
}
