import Foundation
import Testing

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
/// `background` gets the process once it started (to kill it).
func runBertin(_ arguments: [String], ranks: Int? = nil, background: ((Process) -> Void)? = nil) throws -> BertinOutcome {
    let bertin = repositoryRoot.appendingPathComponent(".build/release/bertin").path
    #expect(FileManager.default.isExecutableFile(atPath: bertin), "build bertin first: swift build -c release --product bertin")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ranks == nil ? bertin : "/usr/bin/env")
    process.arguments = ranks.map { ["mpirun", "-np", String($0), bertin] + arguments } ?? arguments
    var environment = ProcessInfo.processInfo.environment
    environment["BERTIN_THREADS"] = "1"
    environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    environment["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    // Read while the process runs (a full pipe would stall it), watching it on another thread.
    // The watcher is waited for too: what it records after a kill must be there when this returns.
    let watched = DispatchSemaphore(value: 0)
    let watcher = background.map { body in Thread { body(process); watched.signal() } }
    watcher?.start()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    if watcher != nil { watched.wait() }
    return BertinOutcome(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
}
