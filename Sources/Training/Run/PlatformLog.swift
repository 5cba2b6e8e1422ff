import Kernels

extension PlatformReport {
    /// What a run prints first: the platform line, then a warning when sgemm is far slower than
    /// the CPU allows, naming the likely cause.
    public var logLines: [String] {
        ["platform: \(line)"] + rateWarnings.map { "warning: \($0)" }
    }
}
