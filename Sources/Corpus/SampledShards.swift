import CorpusIO
import Foundation
import NGram

/// The output shards of `bertin sample`, named as BERTIN's published corpus mc4-es-sampled:
/// `<prefix>-<size>-<method>-shard-NNNN-of-MMMM.json.gz` (0-based, as mC4's own shards), where size
/// is the --max-documents cap (50M) or "all". The inputs, in the order given, are cut into `count`
/// contiguous groups; group j feeds shard j, so the shards in order hold the accepted documents in
/// input order, whichever process wrote them.
public struct SampledShards: Sendable {
    public let inputs: [String]
    public let count: Int
    public let prefix: String
    public let method: SamplingMethod
    public let maxDocuments: Int?

    public init(inputs: [String], count: Int?, prefix: String, method: SamplingMethod, maxDocuments: Int?) throws {
        let count = count ?? inputs.count
        guard (1...max(1, inputs.count)).contains(count) else {
            throw CorpusError.invalidInput(path: "--output-shards", reason: "\(count) output shards from \(inputs.count) input files: give 1 to \(inputs.count) (each shard reads whole input files)")
        }
        guard maxDocuments.map({ $0 >= 1 }) ?? true else { throw CorpusError.invalidInput(path: "--max-documents", reason: "must be at least 1") }
        guard !prefix.isEmpty, !prefix.contains("/") else { throw CorpusError.invalidInput(path: "--prefix", reason: "\"\(prefix)\" is not a file name prefix") }
        (self.inputs, self.count, self.prefix, self.method, self.maxDocuments) = (inputs, count, prefix, method, maxDocuments)
    }

    public func name(_ shard: Int) -> String {
        String(format: "%@-%@-%@-shard-%04d-of-%04d.json.gz", prefix, Self.sizeLabel(maxDocuments), method.rawValue, shard, count)
    }

    /// Indices into `inputs` of the files feeding `shard`.
    public func inputRange(_ shard: Int) -> Range<Int> {
        (shard * inputs.count / count)..<((shard + 1) * inputs.count / count)
    }

    /// 50000000 → "50M", 12000 → "12k", nil → "all".
    public static func sizeLabel(_ documents: Int?) -> String {
        guard let documents else { return "all" }
        for (scale, suffix) in [(1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")] where documents % scale == 0 {
            return "\(documents / scale)\(suffix)"
        }
        return String(documents)
    }
}

/// What one sampled shard read and accepted: its unit record in `.progress/`.
public struct SampledShardRecord: Codable, Sendable {
    public var corpus = CorpusReport()
    public var seenPerQuartile = [0, 0, 0, 0]
    public var keptPerQuartile = [0, 0, 0, 0]
    /// [bin, documents] pairs in bin order (see `SamplingReport.histogram`).
    public var histogram: [[Int]] = []

    public var accepted: Int { keptPerQuartile.reduce(0, +) }
}

/// `manifest.json` of a finished sampled corpus: the settings, and per shard its inputs and
/// documents. It is written last, so a folder with a manifest is complete. It depends only on the
/// job, never on how many processes ran it.
public struct SampledCorpusManifest: Codable, Equatable, Sendable {
    public struct Shard: Codable, Equatable, Sendable {
        public var file: String
        public var inputs: [String]
        /// Documents in the file.
        public var documents: Int
        /// Documents read and accepted by the rule; absent for shards after the cap, which were not needed.
        public var seen: Int?
        public var accepted: Int?
    }

    public var format = "bertin-sampled-corpus"
    public var version = 1
    public var method: String
    public var factor: Double
    public var boundaries: [Double]
    public var seed: UInt64
    /// The language model: its file name and size.
    public var model: String
    public var ccnetNormalize: Bool
    public var maxDocuments: Int?
    public var documents: Int
    public var seen: Int
    public var shards: [Shard]

    enum CodingKeys: String, CodingKey {
        case format, version, method, factor, boundaries, seed, model, documents, seen, shards
        case ccnetNormalize = "ccnet_normalize", maxDocuments = "max_documents"
    }
}
