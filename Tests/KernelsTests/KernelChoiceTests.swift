import Foundation
import Testing
@testable import Kernels

/// The OpenBLAS core choice: the rule on the flags of the CPUs the project runs on, cpuid against
/// Linux's own reading of this machine, and the sgemm self-check.
@Suite struct KernelChoiceTests {
    static let avx512: Set<CPUFeature> = [.sse3, .ssse3, .sse41, .sse42, .avx, .fma, .avx2, .avx512f, .avx512bw, .avx512dq, .avx512vl, .avx512vnni]
    static let avx2: Set<CPUFeature> = [.sse3, .ssse3, .sse41, .sse42, .avx, .fma, .avx2]
    /// Where the issue was found: 5th-generation Xeon under KVM, AVX-512 without BF16/AMX exposed.
    static let emeraldRapids = CPUIdentity(vendor: "GenuineIntel", family: 6, model: 207, name: "INTEL(R) XEON(R) PLATINUM 8581C CPU @ 2.10GHz", features: avx512)
    /// The development machine: Zen 4, AVX-512 with BF16 (OpenBLAS 0.3.21 picks Cooperlake there).
    static let zen4 = CPUIdentity(vendor: "AuthenticAMD", family: 25, model: 17, name: "AMD EPYC", features: avx512.union([.avx512bf16]))
    static let zen3 = CPUIdentity(vendor: "AuthenticAMD", family: 25, model: 1, name: "AMD EPYC 7763 64-Core Processor", features: avx2)
    static let haswell = CPUIdentity(vendor: "GenuineIntel", family: 6, model: 63, name: "Intel(R) Xeon(R) CPU E5-2680 v3", features: avx2)

    @Test func genericCoreIsUpgradedToTheBestForTheCPU() {
        #expect(KernelSelection.decide(cpu: Self.emeraldRapids, running: "Prescott", requested: nil, ourChoice: nil, refused: []) == .switchTo("SkylakeX"))
        #expect(KernelSelection.decide(cpu: Self.zen4, running: "Prescott", requested: nil, ourChoice: nil, refused: []) == .switchTo("SkylakeX"))
        #expect(KernelSelection.decide(cpu: Self.zen3, running: "Prescott", requested: nil, ourChoice: nil, refused: []) == .switchTo("Zen"))
        #expect(KernelSelection.decide(cpu: Self.haswell, running: "Nehalem", requested: nil, ourChoice: nil, refused: []) == .switchTo("Haswell"))
        // An AVX-512 CPU on an AVX2 pick moves up a tier too.
        #expect(KernelSelection.decide(cpu: Self.emeraldRapids, running: "Haswell", requested: nil, ourChoice: nil, refused: []) == .switchTo("SkylakeX"))
    }

    @Test func aPickAsWideAsTheCPUIsKept() {
        #expect(KernelSelection.decide(cpu: Self.zen4, running: "Cooperlake", requested: nil, ourChoice: nil, refused: []) == .keep(.openblas))
        #expect(KernelSelection.decide(cpu: Self.zen3, running: "Zen", requested: nil, ourChoice: nil, refused: []) == .keep(.openblas))
        #expect(KernelSelection.decide(cpu: Self.haswell, running: "Haswell", requested: nil, ourChoice: nil, refused: []) == .keep(.openblas))
        // A CPU without AVX has nothing better than what OpenBLAS picked.
        let old = CPUIdentity(vendor: "GenuineIntel", family: 6, model: 26, name: "", features: [.sse3, .ssse3, .sse41, .sse42])
        #expect(KernelSelection.decide(cpu: old, running: "Nehalem", requested: nil, ourChoice: nil, refused: []) == .keep(.openblas))
    }

    @Test func theEnvironmentsValueIsNeverOverridden() {
        #expect(KernelSelection.decide(cpu: Self.emeraldRapids, running: "Prescott", requested: "Prescott", ourChoice: nil, refused: []) == .keep(.environment))
        #expect(KernelSelection.decide(cpu: Self.emeraldRapids, running: "Prescott", requested: "Bogus", ourChoice: nil, refused: []) == .keep(.environment))
        // Our own earlier choice, carried across the exec, is ours.
        #expect(KernelSelection.decide(cpu: Self.emeraldRapids, running: "SkylakeX", requested: "SkylakeX", ourChoice: "SkylakeX", refused: []) == .keep(.bertin))
        #expect(KernelSelection.decide(cpu: Self.emeraldRapids, running: "Haswell", requested: "Haswell", ourChoice: "SkylakeX", refused: []) == .keep(.environment))
    }

    @Test func aRefusedCoreIsNotChosenAgainAndFailuresFallBackInOrder() {
        #expect(KernelSelection.decide(cpu: Self.emeraldRapids, running: "Prescott", requested: nil, ourChoice: nil, refused: ["SkylakeX"]) == .keep(.openblas))
        #expect(KernelSelection.fallback(cpu: Self.zen4, failing: "Cooperlake", refused: []) == "SkylakeX")
        #expect(KernelSelection.fallback(cpu: Self.zen4, failing: "SkylakeX", refused: ["Cooperlake"]) == "Zen")
        #expect(KernelSelection.fallback(cpu: Self.emeraldRapids, failing: "SkylakeX", refused: []) == "Haswell")
        #expect(KernelSelection.fallback(cpu: Self.emeraldRapids, failing: "Haswell", refused: ["SkylakeX"]) == "Sandybridge")
        #expect(KernelSelection.fallback(cpu: Self.zen3, failing: "Sandybridge", refused: ["Zen"]) == "Prescott")
        #expect(KernelSelection.fallback(cpu: Self.zen3, failing: "Prescott", refused: ["Zen", "Sandybridge"]) == nil)
        // Never up a tier: a failing SSE core does not hand over to AVX2 kernels.
        #expect(KernelSelection.fallback(cpu: Self.zen3, failing: "Nehalem", refused: []) == "Prescott")
    }

    @Test func tiersOfOpenBLASCores() {
        #expect(OpenBLASCore.tier(of: "SkylakeX") == .avx512 && OpenBLASCore.tier(of: "Cooperlake") == .avx512)
        #expect(OpenBLASCore.tier(of: "Haswell") == .avx2 && OpenBLASCore.tier(of: "ZEN") == .avx2)
        #expect(OpenBLASCore.tier(of: "Sandybridge") == .avx && OpenBLASCore.tier(of: "Prescott") == .sse)
        #expect(OpenBLASCore.tier(of: "SomeFutureCore") == .sse)
        #expect(Self.emeraldRapids.vectorTier == .avx512 && Self.zen3.vectorTier == .avx2)
        // AVX-512 F alone (Knights Landing) is not the SkylakeX set.
        let knl = CPUIdentity(vendor: "GenuineIntel", family: 6, model: 87, name: "", features: Self.avx2.union([.avx512f]))
        #expect(knl.vectorTier == .avx2 && OpenBLASCore.best(for: knl) == "Haswell")
    }

    /// cpuid read here equals what the kernel read: /proc/cpuinfo's vendor, family, model and flags.
    @Test func cpuidAgreesWithProcCpuinfo() throws {
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let first = text.components(separatedBy: "\n\n")[0]
        var fields: [String: String] = [:]
        for line in first.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        let cpu = CPUIdentity.current
        #expect(cpu.vendor == fields["vendor_id"])
        #expect(String(cpu.family) == fields["cpu family"] && String(cpu.model) == fields["model"])
        #expect(cpu.name == fields["model name"])
        let flags = Set((fields["flags"] ?? "").split(separator: " ").map(String.init))
        for feature in CPUFeature.allCases {
            let linuxName = feature == .sse3 ? "pni" : feature.rawValue
            #expect(cpu.features.contains(feature) == flags.contains(linuxName), "\(feature.rawValue)")
        }
    }

    @Test func selfCheckPassesTheRunningCoreAndRefusesABrokenOne() throws {
        let core = OpenBLASCore.running
        #expect(GemmSelfCheck.run() == nil, "OpenBLAS core \(core)")
        let failure = try #require(GemmSelfCheck.run(breaking: "Nothing,\(core.uppercased())"))
        #expect(failure.core == core && failure.wrong == 1 && failure.worstError > 100 * failure.bound)
        #expect(GemmSelfCheck.run(breaking: "Nothing") == nil)
    }
}

extension GemmSelfCheck.Failure: Equatable {
    public static func == (a: Self, b: Self) -> Bool { a.description == b.description }
}
