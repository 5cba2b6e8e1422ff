import Checkpointing
import Foundation
import Optimization
import Tensor
import Testing

/// Damaged checkpoints are refused with the file, the dataset and what is wrong: another format
/// version and missing metadata (h5py-made files, Scripts/reference/make-checkpoint-fixture.py),
/// a flipped bit in the moments (fletcher32), and files in HDF5's older, unchecksummed format.
@Suite struct CheckpointErrorTests {
    let layout: [(name: String, shape: [Int])] = [("layer.weight", [2, 3]), ("layer.bias", [3])]
    let roles: [ParameterRole] = [.weight, .bias]

    static func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)!.path
    }

    func read(_ path: String) -> String {
        message {
            let store = try ParameterStore(layout: layout, roles: roles)
            _ = try Checkpoint.read(from: path, into: store, optimizer: try AdamW(configuration: AdamWConfiguration(schedule: .constant(0)), parameters: store))
        }
    }

    @Test(arguments: [
        ("h5py-version-2.h5", "dataset /format_version: is 2, this build reads version 1"),
        ("h5py-without-model_config.h5", "dataset /model_config: missing"),
        ("h5py-without-recipe.h5", "dataset /recipe: missing"),
        ("h5py-without-progress-step.h5", "dataset /progress/step: missing"),
    ])
    func damagedMetadataIsNamed(file: String, problem: String) {
        let path = Self.fixture(file)
        #expect(read(path) == "\(path): \(problem)")
    }

    @Test func aFlippedBitInTheMomentsFailsTheChecksum() throws {
        let path = try temporaryFolder().appendingPathComponent("c.h5").path
        let store = try ParameterStore(layout: layout, roles: roles)
        try store.set("layer.weight", to: [0.5, -1.25, 2, 1234.5678, -0.001, 3])
        let optimizer = try AdamW(configuration: AdamWConfiguration(schedule: .constant(0.01)), parameters: store)
        for (i, value) in [Float(3.5), -7.25, 11.125, 1e-3, 42, -0.5].enumerated() { optimizer.firstMoment.values[i] = value }
        try Checkpoint.write(to: path, parameters: store, optimizer: optimizer, progress: TrainingProgress(step: 2, seed: 1), modelConfig: "{}", recipe: "")
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let pattern = Array(optimizer.firstMoment.values.prefix(6)).withUnsafeBytes { Data($0) }
        let found = try #require(data.range(of: pattern), "the moments' bytes are stored contiguously")
        data[found.lowerBound + 9] ^= 0x10
        try data.write(to: URL(fileURLWithPath: path))
        #expect(read(path) == "\(path): dataset /optimizer/mu/layer.weight: reading failed (checksum mismatch or corrupt data)")
    }

    /// HDF5's older file format has no metadata checksums, and libhdf5 1.10.8 crashed on damaged
    /// files of it: such a file is refused before libhdf5 sees it, with the way to rewrite it.
    @Test func theOlderUnchecksummedFormatIsRefusedWithTheWayOut() {
        let path = Self.fixture("h5py-old-format.h5")
        #expect(read(path) == "\(path): is in HDF5's older file format (superblock version 0), whose metadata has no checksums: "
            + "libhdf5 can crash on a damaged one, so it is not read. Rewrite it in the 1.10 format with "
            + "`h5repack --low=2 --high=2 OLD NEW` (hdf5-tools), or with h5py's File(..., libver=(\"v110\", \"v110\"))")
    }

    /// The damaged files the fuzz campaign of 2026-12-07 found crashing libhdf5 (SIGFPE, SIGSEGV)
    /// or hanging it (a metadata extent over unallocated chunks), kept as they were found: each is
    /// now a named error, at once.
    @Test(arguments: ["checkpoint-seed1-exit136.h5", "checkpoint-seed2-exit139.h5", "checkpoint-seed4-exit3.h5"])
    func theFuzzCampaignsFindsAreNamedErrors(file: String) {
        let path = Self.fixture("fuzz-found/\(file)")
        let started = Date()
        #expect(read(path).hasPrefix("\(path): is in HDF5's older file format (superblock version 0)"))
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func ourFilesAreInTheChecksummedFormat() throws {
        let path = try temporaryFolder().appendingPathComponent("c.h5").path
        let store = try ParameterStore(layout: layout, roles: roles)
        try Checkpoint.write(to: path, parameters: store, optimizer: nil, progress: TrainingProgress(step: 1, seed: 1), modelConfig: "{}", recipe: "")
        let head = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)).prefix(9))
        // HDF5's signature, then superblock version 3 (the 1.10 format's).
        #expect(head == [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 3], "superblock version \(head.last.map(String.init) ?? "none")")
    }
}
