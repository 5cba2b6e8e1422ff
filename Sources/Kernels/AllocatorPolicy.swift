/// Keeps freed tensor memory in the process instead of handing it back to the kernel.
///
/// Every operation allocates its output, and glibc serves blocks above its mmap threshold (128 KiB
/// to 32 MiB) with fresh `mmap`s that are returned with `munmap` on free: each step then page-faults
/// and zero-fills every activation again (a third of a RoBERTa-base step, measured with perf). With
/// mmap off and trimming off, freed blocks return to malloc's heap and the next step reuses them.
public enum AllocatorPolicy {
    /// Applies the policy once (idempotent); tensor storage calls it before its first allocation.
    public static let applied: Bool = {
        #if os(Linux)
        // glibc's <malloc.h> constants (not exported by Swift's Glibc module).
        let trimThreshold: Int32 = -1, mmapMax: Int32 = -4, arenaMax: Int32 = -8
        _ = glibcMallopt(mmapMax, 0)
        _ = glibcMallopt(trimThreshold, Int32.max)
        // One arena: worker threads barely allocate, and per-thread arenas that never trim held
        // a few hundred MB more at base-512 with 2 threads.
        _ = glibcMallopt(arenaMax, 1)
        return true
        #else
        return false
        #endif
    }()
}

#if os(Linux)
/// `int mallopt(int param, int value)` from glibc.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
