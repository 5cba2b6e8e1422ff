import Foundation
import Testing
import TestSupport

/// The repository's root, from this file's place in it (the sample corpus lives in Recipes/).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

let sampleCorpus = repositoryRoot.appendingPathComponent("Recipes/sample-corpus")
let sampleTrainShards = ["c4-es.tfrecord-00000-of-00002.json.gz", "c4-es.tfrecord-00001-of-00002.json.gz"].map { sampleCorpus.appendingPathComponent($0).path }
let sampleValidationShard = sampleCorpus.appendingPathComponent("c4-es-validation.tfrecord-00000-of-00001.json.gz").path

func fixturePath(_ name: String) -> String {
    Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)!.path
}

func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("bertin-corpus-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func message(_ body: () throws -> Void) -> String {
    do { try body() } catch { return "\(error)" }
    return "no error"
}

struct BertinOutcome {
    let status: Int32
    let output: String
}

/// Runs `.build/release/bertin arguments` (under `mpirun -np ranks` when given) with one compute
/// thread and Open MPI allowed to run as root and oversubscribe; stdout and stderr together.
/// `background` gets the running child (to kill it); a run past `seconds` is killed and fails by name.
func runBertin(_ arguments: [String], ranks: Int? = nil, seconds: Double = 480,
               background: ((ChildProcess) throws -> Void)? = nil) throws -> BertinOutcome {
    let bertin = repositoryRoot.appendingPathComponent(".build/release/bertin").path
    #expect(FileManager.default.isExecutableFile(atPath: bertin), "build bertin first: swift build -c release --product bertin")
    let environment = ChildProcess.bertinEnvironment
    let child = try ranks.map { try ChildProcess("/usr/bin/env", ["mpirun", "-np", String($0), bertin] + arguments, environment: environment) }
        ?? ChildProcess(bertin, arguments, environment: environment)
    do { try background?(child) } catch { child.killTree(); throw error }
    let (status, output) = try child.finish(seconds: seconds)
    return BertinOutcome(status: status, output: output)
}
