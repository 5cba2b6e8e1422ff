import Foundation

/// This process's peak resident memory (the kernel's high-water mark, `VmHWM`), in bytes.
public enum PeakMemory {
    public static var bytes: Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss * 1024  // kilobytes on Linux
    }

    /// Every rank's peak, in rank order (collective).
    public static func perRank(_ runtime: MPIRuntime) -> [Int] {
        runtime.allGather([Double(bytes)], what: "the ranks' peak memory").map { Int($0) }
    }
}
