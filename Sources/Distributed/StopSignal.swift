import Foundation

/// A graceful stop asked by a signal: SIGTERM (what SLURM and `scancel` send at a time limit or
/// preemption), SIGUSR1 (`sbatch --signal=USR1@120`'s early warning, and what Scripts/launch.sh
/// turns SIGTERM into, because mpirun forwards SIGUSR1 to the ranks but answers SIGTERM by killing
/// them within a second) or SIGINT. The handler only sets a flag; the trainer reads it once per
/// step, all ranks agree through the step's metric sum, and the run stops after that step with a
/// checkpoint of it.
public enum StopSignal {
    /// The exit code of a run stopped by a signal after writing its checkpoint (EX_TEMPFAIL: run
    /// again with --resume; SLURM scripts requeue on it).
    public static let exitCode: Int32 = 75

    private static let flag: UnsafeMutablePointer<sig_atomic_t> = {
        let pointer = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
        pointer.initialize(to: 0)
        return pointer
    }()
    private static let received: UnsafeMutablePointer<sig_atomic_t> = {
        let pointer = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
        pointer.initialize(to: 0)
        return pointer
    }()

    /// Installs the handlers (call once, early).
    public static func install() {
        _ = (flag, received)  // allocated before a handler can run
        for signal in [SIGTERM, SIGUSR1, SIGINT] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                // A second signal means "now": the usual exit status of a signal death.
                if StopSignal.flag.pointee != 0 { _exit(128 + number) }
                StopSignal.flag.pointee = 1
                StopSignal.received.pointee = number
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signal, &action, nil)
        }
    }

    /// Whether a stop signal arrived at this process.
    public static var isRequested: Bool { flag.pointee != 0 }

    /// The signal's name, for the log.
    public static var signalName: String {
        switch received.pointee {
        case SIGTERM: return "SIGTERM"
        case SIGUSR1: return "SIGUSR1"
        case SIGINT: return "SIGINT"
        default: return "a signal"
        }
    }
}
