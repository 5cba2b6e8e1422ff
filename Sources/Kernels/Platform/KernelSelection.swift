import Foundation

/// Which OpenBLAS core this process runs, who chose it, and what the start-up self-check refused.
///
/// OpenBLAS reads `OPENBLAS_CORETYPE` only when it loads, so a better core means starting the
/// process again: `establish()` sets the variable and re-executes this binary (same pid, same
/// arguments, so `mpirun`, SLURM and signal handlers see one process). Before MPI starts, so every
/// rank does the same on its own. Two more variables carry what happened across the exec:
/// `BERTIN_OPENBLAS_CHOICE` (the core we set; the user's own value never equals it) and
/// `BERTIN_OPENBLAS_REFUSED` (cores the self-check refused, never tried again).
public struct KernelSelection: Sendable {
    public enum Source: String, Sendable {
        case openblas = "chosen by OpenBLAS"
        case bertin = "chosen by bertin"
        case environment = "set by OPENBLAS_CORETYPE in the environment"
    }

    public enum Decision: Equatable, Sendable {
        case keep(Source)
        case switchTo(String)
    }

    public let cpu: CPUIdentity
    /// The core running now.
    public let core: String
    public let source: Source
    /// Cores refused by the self-check on the way here.
    public let refused: [String]
    /// Warnings for the user (a refused core, a name OpenBLAS did not take).
    public let warnings: [String]

    /// What `establish()` settled on, or (in a process that never called it, like a test runner)
    /// what runs, unchecked.
    public static var current: KernelSelection {
        established ?? KernelSelection(environment: ProcessInfo.processInfo.environment)
    }
    nonisolated(unsafe) private static var established: KernelSelection?

    static let choiceVariable = "BERTIN_OPENBLAS_CHOICE"
    static let refusedVariable = "BERTIN_OPENBLAS_REFUSED"
    /// Test hook: the self-check perturbs these cores' products (comma-separated), as a wrong kernel would.
    public static let breakVariable = "BERTIN_TEST_BREAK_OPENBLAS_CORE"

    /// The rule, apart from the process: a core set in the environment by someone else is kept;
    /// otherwise the best core for the CPU replaces a running one of a narrower vector tier, unless
    /// the self-check refused it before.
    public static func decide(cpu: CPUIdentity, running: String, requested: String?, ourChoice: String?, refused: [String]) -> Decision {
        if requested != nil { return .keep(source(requested: requested, ourChoice: ourChoice)) }
        guard let best = OpenBLASCore.best(for: cpu), OpenBLASCore.tier(of: best) > OpenBLASCore.tier(of: running),
              !refused.contains(where: { $0.lowercased() == best.lowercased() }) else { return .keep(.openblas) }
        return .switchTo(best)
    }

    /// Who set `OPENBLAS_CORETYPE`: nobody (OpenBLAS chose), bertin across its exec, or someone else.
    static func source(requested: String?, ourChoice: String?) -> Source {
        guard let requested else { return .openblas }
        return requested == ourChoice ? .bertin : .environment
    }

    /// The variables a choice reads: `OPENBLAS_CORETYPE` (empty counts as unset), ours, the refused cores.
    struct Variables {
        let requested: String?, ourChoice: String?, refused: [String]

        init(_ environment: [String: String]) {
            requested = environment["OPENBLAS_CORETYPE"].flatMap { $0.isEmpty ? nil : $0 }
            ourChoice = environment[KernelSelection.choiceVariable]
            refused = (environment[KernelSelection.refusedVariable] ?? "").split(separator: ",").map(String.init)
        }
    }

    /// The core to try after `failing` fails the self-check: the next candidate for this CPU in
    /// the same or a narrower tier that has not been refused; nil when none is left.
    public static func fallback(cpu: CPUIdentity, failing: String, refused: [String]) -> String? {
        let excluded = Set((refused + [failing]).map { $0.lowercased() })
        return OpenBLASCore.candidates(for: cpu).first {
            !excluded.contains($0.lowercased()) && OpenBLASCore.tier(of: $0) <= OpenBLASCore.tier(of: failing)
        }
    }

    public struct SelectionError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Chooses, checks and (when that takes another core) re-executes this process; returns only
    /// once the running core passed the self-check. Throws when a core set in the environment
    /// fails it (never overridden, and never trusted), or when no core is left.
    public static func establish() throws {
        let environment = ProcessInfo.processInfo.environment
        let cpu = CPUIdentity.current
        let running = OpenBLASCore.running
        let variables = Variables(environment)
        let (requested, refused) = (variables.requested, variables.refused)
        let decision = decide(cpu: cpu, running: running, requested: requested, ourChoice: variables.ourChoice, refused: refused)
        var execFailure: String?
        if case .switchTo(let core) = decision {
            reexecute(with: core, refused: refused)
            // exec failed: go on with OpenBLAS's own pick (checked below), said in the warnings.
            execFailure = "could not restart with OPENBLAS_CORETYPE=\(core) (\(String(cString: strerror(errno)))); running \(running)"
        }
        if let failure = GemmSelfCheck.run(breaking: environment[breakVariable]) {
            if case .keep(.environment) = decision {
                throw SelectionError(description: "\(failure); OPENBLAS_CORETYPE=\(requested ?? "") is set in the environment, so bertin does not replace it: unset it to let bertin choose")
            }
            guard let next = fallback(cpu: cpu, failing: running, refused: refused) else {
                throw SelectionError(description: "\(failure), and no other OpenBLAS core is left to try (refused: \((refused + [running]).joined(separator: ", ")))")
            }
            if isLeadProcess { FileHandle.standardError.write(Data("bertin: warning: \(failure); restarting with OpenBLAS core \(next)\n".utf8)) }
            reexecute(with: next, refused: refused + [running])
            throw SelectionError(description: "\(failure); could not restart with OPENBLAS_CORETYPE=\(next): \(String(cString: strerror(errno)))")
        }
        established = KernelSelection(environment: environment, extraWarning: execFailure)
    }

    init(environment: [String: String], extraWarning: String? = nil) {
        cpu = CPUIdentity.current
        core = OpenBLASCore.running
        let variables = Variables(environment)
        let requested = variables.requested
        source = Self.source(requested: requested, ourChoice: variables.ourChoice)
        refused = variables.refused
        var warnings: [String] = []
        if !refused.isEmpty {
            warnings.append("OpenBLAS core\(refused.count > 1 ? "s" : "") \(refused.joined(separator: ", ")) failed the sgemm self-check and \(refused.count > 1 ? "were" : "was") dropped")
        }
        if let requested, requested.lowercased() != core.lowercased() {
            warnings.append("OPENBLAS_CORETYPE=\(requested) is not a core this OpenBLAS knows; it runs its own pick, \(core)")
        }
        if OpenBLASCore.tier(of: core) < cpu.vectorTier, let best = OpenBLASCore.best(for: cpu), !refused.contains(best) {
            warnings.append("OpenBLAS core \(core) uses \(OpenBLASCore.tier(of: core)), this CPU has \(cpu.vectorTier): \(best) would be faster")
        }
        if let extraWarning { warnings.append(extraWarning) }
        self.warnings = warnings
    }

    /// One line for logs: "OpenBLAS 0.3.21 core Cooperlake (chosen by OpenBLAS)".
    public var coreSummary: String {
        "OpenBLAS \(OpenBLASCore.version) core \(core) (\(source.rawValue)" + (refused.isEmpty ? ")" : "; refused \(refused.joined(separator: ", ")))")
    }

    /// Rank 0 of an MPI or SLURM job, or a plain process: the one that prints warnings before MPI
    /// is up (the launchers' own rank variables say which).
    public static var isLeadProcess: Bool {
        let environment = ProcessInfo.processInfo.environment
        for name in ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"] {
            if let rank = environment[name].flatMap(Int.init) { return rank == 0 }
        }
        return true
    }

    /// Replaces this process with itself under `OPENBLAS_CORETYPE=core`. Returns only if exec
    /// fails, with the environment as it was (errno still exec's).
    private static func reexecute(with core: String, refused: [String]) {
        let names = ["OPENBLAS_CORETYPE", choiceVariable, refusedVariable]
        let before = names.map { getenv($0).map { String(cString: $0) } }
        for (name, value) in zip(names, [core, core, refused.joined(separator: ",")]) { setenv(name, value, 1) }
        fflush(stdout)
        fflush(stderr)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        let failure = errno
        for (name, value) in zip(names, before) {
            if let value { setenv(name, value, 1) } else { unsetenv(name) }
        }
        errno = failure
    }
}
