import Kernels

/// Runs that print progress print first what they compute on, and warn when sgemm is far slower
/// than the CPU allows, naming the likely cause.
protocol PlatformLogging {
    var log: (String) -> Void { get }
}

extension PlatformLogging {
    func logPlatform(_ platform: PlatformReport) {
        log("platform: \(platform.line)")
        for warning in platform.rateWarnings { log("warning: \(warning)") }
    }
}

extension TrainingRun: PlatformLogging {}
extension FinetuningRun: PlatformLogging {}
