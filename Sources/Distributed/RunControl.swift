/// What a training loop is told by the process around it, handed in rather than read from
/// globals: whether a stop was asked (a signal; `StopSignal`), and where to say what it is doing
/// (the watchdog adds it to a timeout's message).
public struct RunControl: Sendable {
    /// Whether this process was asked to stop; read once per update.
    public var stopRequested: @Sendable () -> Bool
    /// Told "step 12" before each update's collective metric sum.
    public var describe: @Sendable (String) -> Void

    public init(stopRequested: @escaping @Sendable () -> Bool, describe: @escaping @Sendable (String) -> Void) {
        (self.stopRequested, self.describe) = (stopRequested, describe)
    }

    /// A command's run: the process's stop signal (once `StopSignal.install()` ran) and the watchdog.
    public static let process = RunControl(stopRequested: { StopSignal.isRequested }, describe: { Watchdog.shared.context = $0 })
    /// A trainer inside a test or a benchmark: never asked to stop, tells no one.
    public static let isolated = RunControl(stopRequested: { false }, describe: { _ in })
}
