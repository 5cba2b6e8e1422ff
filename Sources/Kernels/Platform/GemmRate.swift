import CBLAS
import Foundation

/// sgemm's measured speed at a transformer's shape (512 tokens × 768 → 3072, a feed-forward
/// layer of roberta-base): what the kernels can do on this machine right now.
public enum GemmRate {
    /// GFLOP/s, the best of three products after one warm-up, on `threads` threads (OpenBLAS's
    /// count is restored afterwards).
    public static func measure(threads: Int) -> Double {
        let (m, n, k) = (512, 3072, 768)
        let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        openblas_set_num_threads(Int32(threads))
        defer { openblas_set_num_threads(Int32(ComputeThreads.count)) }
        var best = Double.infinity
        for round in 0..<4 {
            let start = DispatchTime.now().uptimeNanoseconds
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(n), 0, &c, Int32(n))
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if round > 0 { best = min(best, seconds) }
        }
        return 2 * Double(m * n * k) / best / 1e9
    }

    /// Below this per-thread rate the kernel is not using the CPU's vectors (or the core is shared).
    /// Set between what was measured: AVX-512 cores do 63-91 GFLOP/s a thread (Zen 4) and 100-117
    /// (Sapphire/Emerald Rapids with the SkylakeX core) but 21-32 on OpenBLAS's SSE3 core; an AVX2
    /// core at 2 GHz gives 2 FMA × 8 lanes × 2 flops × 2 GHz = 64 peak, about 45 in sgemm.
    public static func floorPerThread(_ tier: VectorTier) -> Double? {
        switch tier {
        case .avx512: 40
        case .avx2: 24
        case .avx: 10
        case .sse: nil
        }
    }
}
