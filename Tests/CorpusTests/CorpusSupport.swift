import Foundation

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
