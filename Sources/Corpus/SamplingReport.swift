import CorpusIO
import Foundation
import Kernels

/// What a sampling pass saw and kept.
public struct SamplingReport: Sendable {
    public var corpus = CorpusReport()
    public var seenPerQuartile = [Int](repeating: 0, count: 4)
    /// Documents the rule accepted, per quartile (before any --max-documents cap).
    public var keptPerQuartile = [Int](repeating: 0, count: 4)
    /// Accepted documents left out because --max-documents was reached before them.
    public var beyondMaxDocuments = 0
    /// Documents per bin of log10(perplexity), bins 0.1 wide: key = floor(10 · log10 ppl).
    public var histogram: [Int: Int] = [:]
    /// This process's own scoring time and documents (a resumed or shared job did part elsewhere).
    public var seconds = 0.0
    public var scoredHere = 0

    public var seen: Int { seenPerQuartile.reduce(0, +) }
    /// Documents written: accepted ones up to the cap.
    public var kept: Int { keptPerQuartile.reduce(0, +) - beyondMaxDocuments }

    public mutating func merge(_ shard: SampledShardRecord) {
        corpus.merge(shard.corpus)
        for quartile in 0..<4 {
            seenPerQuartile[quartile] += shard.seenPerQuartile[quartile]
            keptPerQuartile[quartile] += shard.keptPerQuartile[quartile]
        }
        for pair in shard.histogram { histogram[pair[0], default: 0] += pair[1] }
    }

    public var json: String {
        let bins = histogram.keys.sorted().map { "[\(Double($0) / 10), \(histogram[$0]!)]" }.joined(separator: ", ")
        return """
            {"seen": \(seen), "kept": \(kept), "seen_per_quartile": \(seenPerQuartile), "kept_per_quartile": \(keptPerQuartile), \
            "beyond_max_documents": \(beyondMaxDocuments), "skipped": \(corpus.skippedCount), \
            "documents_per_second": \(Double(scoredHere) / max(seconds, 1e-9)), \
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

