import Foundation
import Kernels
import Testing

/// `bertin` chooses OpenBLAS's core when it starts: it keeps a user's OPENBLAS_CORETYPE, runs at
/// least as wide a core as the CPU allows when none is set, and drops a core that fails the sgemm
/// self-check by restarting itself, in a plain process and under mpirun.
@Suite(.serialized) struct KernelChoiceRunTests {
    /// `bertin info` with `OPENBLAS_CORETYPE` and the break hook as given (nil: unset), under mpirun when `ranks`.
    static func info(coreType: String?, breaking: String? = nil, ranks: Int? = nil) throws -> MPITrainingTests.Outcome {
        var set: [String: String] = [:]
        set["OPENBLAS_CORETYPE"] = coreType
        set[KernelSelection.breakVariable] = breaking
        return try MPITrainingTests.runBertin(ranks: ranks, ["info", "--threads", "1"], environment: set,
                                              removing: ["OPENBLAS_CORETYPE", "BERTIN_OPENBLAS_CHOICE", "BERTIN_OPENBLAS_REFUSED", KernelSelection.breakVariable])
    }

    /// The "kernels:" lines' core and who chose it.
    static func cores(_ run: MPITrainingTests.Outcome) -> [(core: String, source: String)] {
        run.output.split(separator: "\n").filter { $0.hasPrefix("kernels:") }.map { line in
            let after = line.components(separatedBy: "OpenBLAS core ")[1]
            let core = String(after.prefix { $0 != " " })
            let source = after.components(separatedBy: "(")[1].components(separatedBy: ")")[0]
            return (core, source)
        }
    }

    @Test func unsetRunsACoreAsWideAsTheCPU() throws {
        let run = try Self.info(coreType: nil)
        #expect(run.status == 0, "\(run.output)")
        let (core, source) = try #require(Self.cores(run).first, "\(run.output)")
        let cpu = CPUIdentity.current
        // Either OpenBLAS's own pick was already as wide as the CPU, or bertin replaced it with the best.
        if let best = OpenBLASCore.best(for: cpu) {
            #expect(OpenBLASCore.tier(of: core) >= OpenBLASCore.tier(of: best), "\(run.output)")
        }
        #expect(source == KernelSelection.Source.openblas.rawValue || (source == KernelSelection.Source.bertin.rawValue && core == OpenBLASCore.best(for: cpu)),
                "\(run.output)")
        let rate = try #require(run.output.split(separator: "\n").first { $0.hasPrefix("sgemm:") }, "\(run.output)")
        #expect(Double(rate.dropFirst("sgemm:".count).trimmingCharacters(in: .whitespaces).prefix { $0.isNumber })! > 0)
        #expect(run.output.contains("CPU:      \(cpu.summary)"))
    }

    @Test func aCoreSetInTheEnvironmentRunsAndIsReported() throws {
        for requested in ["Haswell", "Prescott"] {
            let run = try Self.info(coreType: requested)
            #expect(run.status == 0, "\(run.output)")
            let (core, source) = try #require(Self.cores(run).first, "\(run.output)")
            #expect(core == requested && source == KernelSelection.Source.environment.rawValue, "\(run.output)")
            let narrower = OpenBLASCore.tier(of: requested) < CPUIdentity.current.vectorTier
            #expect(run.output.contains("OpenBLAS core \(requested) uses") == narrower, "a narrower core than the CPU's is named: \(run.output)")
        }
    }

    /// The core running when nothing is set fails the self-check (the test hook perturbs its
    /// products): bertin restarts on the next safe core and says so, on every rank under mpirun.
    @Test func aCoreFailingTheSelfCheckIsDroppedForTheNextSafeOne() throws {
        let first = try #require(Self.cores(try Self.info(coreType: nil)).first).core
        let expected = try #require(KernelSelection.fallback(cpu: .current, failing: first, refused: []))
        for ranks in [nil, 2] as [Int?] {
            let run = try Self.info(coreType: nil, breaking: first, ranks: ranks)
            #expect(run.status == 0, "\(run.output)")
            let cores = Self.cores(run)
            #expect(cores.count == (ranks ?? 1), "\(run.output)")
            for (core, source) in cores {
                #expect(core == expected && source == KernelSelection.Source.bertin.rawValue, "\(run.output)")
            }
            #expect(run.output.contains("refused by the self-check: \(first)\n"), "\(run.output)")
            #expect(run.output.contains("on OpenBLAS core \(first):") && run.output.contains("restarting with OpenBLAS core \(expected)"), "\(run.output)")
            // Warnings from rank 0 only.
            #expect(run.output.components(separatedBy: "restarting with").count == 2, "\(run.output)")
        }
    }

    @Test func aFailingCoreFromTheEnvironmentStopsInsteadOfBeingReplaced() throws {
        let run = try Self.info(coreType: "Haswell", breaking: "Haswell")
        #expect(run.status == 70 && run.output.contains("OPENBLAS_CORETYPE=Haswell is set in the environment"), "\(run.output)")
        #expect(!run.output.contains("kernels:"))
        let everything = OpenBLASCore.candidates(for: .current) + [try #require(Self.cores(try Self.info(coreType: nil)).first).core]
        let none = try Self.info(coreType: nil, breaking: everything.joined(separator: ","))
        #expect(none.status == 70 && none.output.contains("no other OpenBLAS core is left to try"), "\(none.output)")
    }
}
