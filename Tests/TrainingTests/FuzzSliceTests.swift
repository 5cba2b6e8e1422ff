import Foundation
import Testing

/// A fixed-seed slice of the fuzz campaign (Scripts/fuzz/run runs the long one): every parser of a
/// user's files gets mutated inputs from its committed seeds, through the binary. No input may
/// crash the process, run past the hang limit, or fail with an error that does not name its file.
@Suite struct FuzzSliceTests {
    static let inputsPerTarget = 2000
    static let targets = ["safetensors", "transformers-directory", "flax-parameters", "flax-optimizer-state", "npz", "config.json", "tokenizer.json",
                          "vocab.json", "merges.txt", "recipe",
                          "checkpoint", "arpa", "arpa.gz", "kenlm-binary", "token-rows-index", "token-rows-shard", "corpus-jsonl",
                          "corpus-gzip", "conll", "conllu", "classification-jsonl"]

    struct Report: Decodable { let target: String; let inputs: Int; let accepted: Int; let refused: Int; let unnamedErrors: Int; let longestSeconds: Double }

    static func fuzz(_ targets: [String], seed: Int, inputs: Int) throws -> (status: Int32, reports: [Report], output: String) {
        let outcome = try MPITrainingTests.runBertin(ranks: nil, ["fuzz", "--inputs", String(inputs), "--seed", String(seed), "--root", MPITrainingTests.root.path,
                                                                  "--hang-seconds", "20"] + targets.flatMap { ["--target", $0] }, seconds: 300)
        let reports = try outcome.output.split(separator: "\n").filter { $0.hasPrefix("{") }.map { try JSONDecoder().decode(Report.self, from: Data($0.utf8)) }
        return (outcome.status, reports, outcome.output)
    }

    @Test func everyParserRefusesDamagedInputsByName() throws {
        let (status, reports, output) = try Self.fuzz(Self.targets, seed: 2026, inputs: Self.inputsPerTarget)
        #expect(status == 0, "\(output.suffix(3000))")
        #expect(reports.map(\.target) == Self.targets, "\(output.suffix(3000))")
        for report in reports {
            print("fuzz \(report.target): \(report.inputs) inputs, \(report.accepted) read, \(report.refused) refused by name, longest \(String(format: "%.3f", report.longestSeconds)) s")
            #expect(report.inputs == Self.inputsPerTarget && report.unnamedErrors == 0, "\(report.target)")
            // Every tenth input is an unmutated seed, which must read.
            #expect(report.accepted >= Self.inputsPerTarget / 10, "\(report.target): the seeds read")
        }
    }

    /// The campaigns that found a crash or a hang, replayed exactly (the mutations are seeded):
    /// each must now run clean. What each found: a safetensors range built before its offsets were
    /// checked; a 32-bit token id trap and a 2^31-slot vocabulary; a recipe nested past the YAML
    /// parser's stack; ARPA counts no file holds; a probing lookup in a full table (hang), a stored
    /// word id past the unigrams, a trie child range past its level; a token-rows size product
    /// overflowing; a config implying GPT-J-6B allocated before its weights were checked, and a
    /// width whose 4x overflowed. (The checkpoint campaign's finds, two libhdf5 crashes and a hang,
    /// are kept as files: CheckpointErrorTests.)
    @Test(arguments: [("safetensors", 7, 2000), ("tokenizer.json", 7, 2000), ("recipe", 7, 2000), ("arpa", 7, 2000),
                      ("kenlm-binary", 7, 2000), ("kenlm-binary", 13, 3000), ("token-rows-index", 11, 2000), ("token-rows-shard", 11, 2000),
                      ("config.json", 13, 2000), ("config.json", 15, 2000)])
    func foundCrashesStayFixed(target: String, seed: Int, inputs: Int) throws {
        let (status, reports, output) = try Self.fuzz([target], seed: seed, inputs: inputs)
        #expect(status == 0 && reports.first?.inputs == inputs && reports.first?.unnamedErrors == 0, "\(output.suffix(3000))")
    }
}
