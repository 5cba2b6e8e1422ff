import CBLAS

/// OpenBLAS's GEMM kernel family ("core"), as `openblas_get_corename()` names it and
/// `OPENBLAS_CORETYPE` selects it. A DYNAMIC_ARCH build holds all of them and picks one from the
/// CPU's family and model when it loads; a model newer than the build falls back to a generic one.
public enum OpenBLASCore {
    /// The core running in this process.
    public static var running: String { String(cString: openblas_get_corename()) }

    /// "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64"
    public static var configuration: String { String(cString: openblas_get_config()) }

    /// "0.3.21", from the configuration string.
    public static var version: String {
        let words = configuration.split(separator: " ")
        return words.count > 1 && words[0] == "OpenBLAS" ? String(words[1]) : "unknown"
    }

    /// The widest vector instructions a core's kernels use (OpenBLAS 0.3.x's x86-64 cores). A
    /// name not listed (a core of a newer OpenBLAS) counts as SSE, so it is never judged better
    /// than it may be.
    public static func tier(of core: String) -> VectorTier {
        switch core.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": .avx512
        case "haswell", "zen": .avx2
        case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator": .avx
        default: .sse
        }
    }

    /// The best core for a CPU's instruction set: SkylakeX for AVX-512 F/BW/DQ/VL; Zen for AVX2
    /// on AMD and Hygon, Haswell on others; Sandybridge for AVX alone; nil below (nothing better
    /// than what any build picks).
    public static func best(for cpu: CPUIdentity) -> String? {
        candidates(for: cpu).first { tier(of: $0) > .sse }
    }

    /// Every core this CPU can run, best first, ending with the generic Prescott (SSE3), which runs
    /// on every x86-64 CPU: the order a failing core falls back along.
    public static func candidates(for cpu: CPUIdentity) -> [String] {
        var cores: [String] = []
        if cpu.vectorTier >= .avx512 { cores.append("SkylakeX") }
        if cpu.vectorTier >= .avx2 { cores.append(cpu.isAMD ? "Zen" : "Haswell") }
        if cpu.vectorTier >= .avx { cores.append("Sandybridge") }
        cores.append("Prescott")
        return cores
    }
}
