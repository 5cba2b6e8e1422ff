import Foundation

/// What instructions this build of our own SIMD loops uses (Package.swift's `kernelCPU`).
public enum KernelBuild {
    public static var target: String {
        #if DEBUG
        return "an unoptimised debug build"
        #elseif BERTIN_KERNELS_AVX512
        return "skylake-avx512 (AVX-512)"
        #elseif arch(x86_64)
        return "haswell (AVX2+FMA)"
        #else
        return "this architecture's baseline"
        #endif
    }
}

/// The machine a run is on, in one line and in metrics fields: CPU, vector tier, OpenBLAS's core
/// and who chose it, threads, and sgemm's measured rate at 1 thread and at the run's count, with a
/// warning when that rate is far below what the CPU's vectors give.
public struct PlatformReport: Sendable {
    public let selection: KernelSelection
    public let threads: Int
    public let singleThreadRate: Double
    public let allThreadsRate: Double

    public static func measure(selection: KernelSelection = .current, threads: Int = ComputeThreads.count) -> PlatformReport {
        let single = GemmRate.measure(threads: 1)
        return PlatformReport(selection: selection, threads: threads, singleThreadRate: single,
                              allThreadsRate: threads == 1 ? single : GemmRate.measure(threads: threads))
    }

    public var rateText: String {
        String(format: "%.0f GFLOP/s on 1 thread", singleThreadRate)
            + (threads == 1 ? "" : String(format: ", %.0f on %d threads", allThreadsRate, threads))
            + " (512×3072×768)"
    }

    /// "AuthenticAMD family 25 model 17, AMD EPYC | AVX-512 | OpenBLAS 0.3.21 core Cooperlake (chosen by OpenBLAS) | 2 threads | sgemm 85 GFLOP/s on 1 thread, 150 on 2 threads"
    public var line: String {
        "\(selection.cpu.summary) | \(selection.cpu.vectorTier) | \(selection.coreSummary) | SIMD loops for \(KernelBuild.target) | \(threads) thread\(threads == 1 ? "" : "s") | sgemm \(rateText)"
    }

    /// The same facts for metrics.jsonl.
    public var fields: [String: Any] {
        ["cpu": selection.cpu.summary, "isa": selection.cpu.vectorTier.description,
         "cpu_features": selection.cpu.features.sorted().map(\.rawValue),
         "openblas_version": OpenBLASCore.version, "openblas_core": selection.core,
         "openblas_core_source": selection.source.rawValue, "openblas_refused": selection.refused,
         "simd_build": KernelBuild.target, "threads": threads,
         "sgemm_gflops_1_thread": singleThreadRate, "sgemm_gflops_all_threads": allThreadsRate]
    }

    /// A one-thread rate far below the tier's floor, with its likely cause (none when the rate is fine).
    public var rateWarnings: [String] {
        let tier = selection.cpu.vectorTier
        guard let floor = GemmRate.floorPerThread(tier), singleThreadRate < floor else { return [] }
        let coreTier = OpenBLASCore.tier(of: selection.core)
        let measured = String(format: "sgemm runs at %.0f GFLOP/s on one thread, far below the %.0f a core with %@ gives", singleThreadRate, floor, tier.description)
        if coreTier < tier {
            let best = OpenBLASCore.best(for: selection.cpu) ?? "a wider core"
            let fix = selection.source == .environment ? "OPENBLAS_CORETYPE is set to \(selection.core) in the environment: unset it or set \(best)" : "set OPENBLAS_CORETYPE=\(best)"
            return ["\(measured): OpenBLAS's core \(selection.core) uses only \(coreTier); \(fix)"]
        }
        var load = [Double](repeating: 0, count: 1)
        let busy = getloadavg(&load, 1) == 1 ? String(format: "load average %.1f on %d cores", load[0], ProcessInfo.processInfo.activeProcessorCount) : "load unknown"
        return ["\(measured): the core (\(selection.core)) fits the CPU, so the cores are likely shared with other work or throttled (\(busy))"]
    }
}
