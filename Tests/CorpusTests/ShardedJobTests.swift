import Corpus
import CorpusIO
import Foundation
import Testing
import TestSupport

/// `bertin sample` and `bertin prepare` as sharded jobs: the same files from one process, from
/// `mpirun -np 2` and `-np 4` and from independent `--shard i/N` processes; a job killed with
/// SIGKILL resumes to the same files. Needs `.build/release/bertin` (Scripts/test.sh builds it)
/// and Open MPI's `mpirun`.
@Suite(.serialized) struct ShardedJobTests {
    static let model = sampleCorpus.appendingPathComponent("sample-3gram.arpa.gz").path
    static let tokenizer = fixturePath("tokenizer")

    /// The sample corpus's 360 documents as 6 input files of 60.
    static let smallInputs: [String] = try! inputs(name: "small", files: 6, copies: 1)
    /// 8 files of 900 documents (the corpus five times over): long enough to be killed mid-run.
    static let largeInputs: [String] = try! inputs(name: "large", files: 8, copies: 20)

    static func inputs(name: String, files: Int, copies: Int) throws -> [String] {
        var lines: [[UInt8]] = []
        for file in sampleTrainShards {
            let reader = try LineReader(path: file)
            while let line = reader.nextLine() { lines.append(Array(line)) }
        }
        let all = Array(repeating: lines, count: copies).flatMap { $0 }
        let folder = try temporaryFolder()
        return try (0..<files).map { index in
            let path = folder.appendingPathComponent(String(format: "c4-es.tfrecord-%05d-of-%05d.json.gz", index, files)).path
            let writer = try GzipLineWriter(path: path)
            for line in all[(index * all.count / files)..<((index + 1) * all.count / files)] { try writer.write(line: line) }
            try writer.finish()
            return path
        }
    }

    static func sampleArguments(_ inputs: [String], output: URL, _ extra: [String] = []) -> [String] {
        ["sample", "--model", model, "--boundaries", "3,16,100", "--output", output.path] + extra + inputs
    }

    static func prepareArguments(_ inputs: [String], output: URL, _ extra: [String] = []) -> [String] {
        ["prepare", "--tokenizer", tokenizer, "--sequence-length", "64", "--eval-fraction", "0.05", "--shuffle-buffer", "100",
         "--output", output.path] + extra + inputs
    }

    /// Every visible file of a job's output (name → bytes): the data and its manifest or index.
    static func outputs(_ folder: URL) throws -> [String: Data] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }
        return try Dictionary(uniqueKeysWithValues: names.map { ($0, try Data(contentsOf: folder.appendingPathComponent($0))) })
    }

    /// The job run four ways (one process; mpirun -np 2 and 4; three --shard processes) writes the same files.
    func expectSameForAnyProcessCount(_ arguments: ([String], URL) -> [String], inputs: [String], finalFile: String) throws {
        let single = try temporaryFolder().appendingPathComponent("single")
        let plain = try runBertin(arguments(inputs, single))
        #expect(plain.status == 0, "\(plain.output)")
        let reference = try Self.outputs(single)
        #expect(reference[finalFile] != nil && reference.count > 3, "\(reference.keys.sorted())")
        for ranks in [2, 4] {
            let folder = try temporaryFolder().appendingPathComponent("np\(ranks)")
            let run = try runBertin(arguments(inputs, folder), ranks: ranks)
            #expect(run.status == 0, "\(run.output)")
            #expect(try Self.outputs(folder) == reference, "mpirun -np \(ranks) wrote other files than one process")
        }
        let folder = try temporaryFolder().appendingPathComponent("shards")
        for share in 0..<3 {
            let run = try runBertin(arguments(inputs, folder) + ["--shard", "\(share)/3"])
            #expect(run.status == 0, "\(run.output)")
            #expect(run.output.contains("share \(share)/3 done") == (share < 2), "only the last share finishes the job: \(run.output)")
        }
        #expect(try Self.outputs(folder) == reference, "--shard i/3 processes wrote other files than one process")
    }

    @Test func sampleIsTheSameForAnyProcessCount() throws {
        try expectSameForAnyProcessCount({ Self.sampleArguments($0, output: $1, ["--output-shards", "3"]) }, inputs: Self.smallInputs, finalFile: "manifest.json")
        // The cap: the first 100 accepted documents in shard order, whoever finishes first.
        try expectSameForAnyProcessCount({ Self.sampleArguments($0, output: $1, ["--max-documents", "100"]) }, inputs: Self.smallInputs, finalFile: "manifest.json")
    }

    @Test func maxDocumentsKeepsTheFirstAcceptedInShardOrder() throws {
        let all = try temporaryFolder().appendingPathComponent("all"), capped = try temporaryFolder().appendingPathComponent("capped")
        #expect(try runBertin(Self.sampleArguments(Self.smallInputs, output: all)).status == 0)
        #expect(try runBertin(Self.sampleArguments(Self.smallInputs, output: capped, ["--max-documents", "100"])).status == 0)
        func documents(_ folder: URL, _ label: String) throws -> [String] {
            let names = (0..<6).map { String(format: "mc4-es-train-%@-gaussian-shard-%04d-of-0006.json.gz", label, $0) }
            var lines: [String] = []
            try CorpusReader(files: names.map { folder.appendingPathComponent($0).path }).forEachDocument { lines.append(String(decoding: $0.json, as: UTF8.self)) }
            return lines
        }
        let everything = try documents(all, "all")
        #expect(everything.count > 120)
        #expect(try documents(capped, "100") == Array(everything.prefix(100)))
        let manifest = try JSONDecoder().decode(SampledCorpusManifest.self, from: Data(contentsOf: capped.appendingPathComponent("manifest.json")))
        #expect(manifest.documents == 100 && manifest.maxDocuments == 100 && manifest.shards.count == 6)
        #expect(manifest.shards.map(\.documents).reduce(0, +) == 100)
        #expect(manifest.shards.last!.documents == 0 && manifest.shards.last!.seen == nil, "shards after the cap are empty and not read")
    }

    @Test func prepareIsTheSameForAnyProcessCount() throws {
        try expectSameForAnyProcessCount({ Self.prepareArguments($0, output: $1) }, inputs: Self.smallInputs, finalFile: "index.json")
    }

    /// Starts the job, SIGKILLs it once its first unit is recorded, checks what it left, reruns it
    /// and compares with a clean run.
    func expectResumesAfterKill(_ arguments: (URL) -> [String], finalFile: String, units: Int) throws {
        let clean = try temporaryFolder().appendingPathComponent("clean")
        #expect(try runBertin(arguments(clean)).status == 0)
        let reference = try Self.outputs(clean)
        let killed = try temporaryFolder().appendingPathComponent("killed")
        let progress = killed.appendingPathComponent(".progress/unit-00000.json").path
        var recordsAtKill = 0
        let first = try runBertin(arguments(killed) + ["--progress-seconds", "0"]) { job in
            try job.waitUntil("the first unit's progress record", seconds: 120, polling: 0.002) { FileManager.default.fileExists(atPath: progress) }
            kill(job.process.processIdentifier, SIGKILL)
            recordsAtKill = ((try? FileManager.default.contentsOfDirectory(atPath: killed.appendingPathComponent(".progress").path)) ?? []).filter { $0.hasPrefix("unit-") }.count
        }
        #expect(first.status == SIGKILL, "killed mid-run: \(first.output)")
        #expect(recordsAtKill >= 1 && recordsAtKill < units, "killed after \(recordsAtKill) of \(units) units")
        #expect(first.output.contains("documents/s") && first.output.contains("ETA"), "progress line: \(first.output)")
        let left = try Self.outputs(killed)
        #expect(left[finalFile] == nil, "a killed job never looks complete")
        let rerun = try runBertin(arguments(killed))
        #expect(rerun.status == 0, "\(rerun.output)")
        #expect(try Self.outputs(killed) == reference, "kill -9 and rerun writes what one clean run writes")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: killed.path).filter { $0.contains(".partial-") }
        #expect(leftovers.isEmpty, "the rerun cleared the killed run's temporaries: \(leftovers)")
    }

    @Test func killedSampleResumes() throws {
        try expectResumesAfterKill({ Self.sampleArguments(Self.largeInputs, output: $0) }, finalFile: "manifest.json", units: 8)
    }

    @Test func killedPrepareResumes() throws {
        try expectResumesAfterKill({ Self.prepareArguments(Self.largeInputs, output: $0) }, finalFile: "index.json", units: 8)
    }

    @Test func badShardingIsRefused() throws {
        let folder = try temporaryFolder().appendingPathComponent("bad")
        let share = try runBertin(Self.sampleArguments(Self.smallInputs, output: folder, ["--shard", "3/3"]))
        #expect(share.status != 0 && share.output.contains("share 3 of 3 does not exist"), "\(share.output)")
        let shards = try runBertin(Self.sampleArguments(Self.smallInputs, output: folder, ["--output-shards", "7"]))
        #expect(shards.status != 0 && shards.output.contains("7 output shards from 6 input files"), "\(shards.output)")
        #expect(try runBertin(Self.sampleArguments(Self.smallInputs, output: folder, ["--seed", "1"])).status == 0)
        let other = try runBertin(Self.sampleArguments(Self.smallInputs, output: folder, ["--seed", "2"]))
        #expect(other.status != 0 && other.output.contains("other settings (seed: 1 then, 2 now)"), "\(other.output)")
        let mixed = try runBertin(Self.sampleArguments(Self.smallInputs, output: try temporaryFolder(), ["--shard", "0/2"]), ranks: 2)
        #expect(mixed.status != 0 && mixed.output.contains("not both"), "\(mixed.output)")
        #expect(throws: CorpusError.self) { try WorkShare(parsing: "1-4") }
        #expect(SampledShards.sizeLabel(50_000_000) == "50M" && SampledShards.sizeLabel(12_000) == "12k" && SampledShards.sizeLabel(1234) == "1234")
        let layout = try SampledShards(inputs: (0..<2048).map { "c4-es.tfrecord-\($0)" }, count: 1024, prefix: "mc4-es-train", method: .gaussian, maxDocuments: 50_000_000)
        #expect(layout.name(1) == "mc4-es-train-50M-gaussian-shard-0001-of-1024.json.gz" && layout.inputRange(1) == 2..<4)
    }
}
