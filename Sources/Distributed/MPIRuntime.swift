import CMPI
import Foundation

/// The MPI job this process belongs to. Works under `mpirun` and as a plain process (an MPI
/// singleton: one rank). Only the thread that created it makes MPI calls.
public final class MPIRuntime: @unchecked Sendable {
    public let rank: Int
    public let size: Int

    /// Initialises MPI once per process.
    public static let shared = MPIRuntime()

    private init() {
        let environment = ProcessInfo.processInfo.environment
        isLaunched = environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            // A peer that dies while the job starts leaves MPI_Init waiting forever: bound it.
            Watchdog.shared.guarding("MPI start-up (MPI_Init: the other ranks and mpirun)", seconds: Watchdog.shared.startupTimeout) {
                _ = MPI_Init(nil, nil)
            }
        }
        var rank: Int32 = 0, size: Int32 = 1
        MPI_Comm_rank(cmpi_comm_world(), &rank)
        MPI_Comm_size(cmpi_comm_world(), &size)
        self.rank = Int(rank)
        self.size = Int(size)
    }

    public var isMain: Bool { rank == 0 }

    /// Starts `buffer[0..<count] = Σ over ranks` in place, without blocking.
    public func startSum(_ buffer: UnsafeMutablePointer<Double>, count: Int) -> MPI_Request? {
        var request = cmpi_request_null()
        MPI_Iallreduce(cmpi_in_place(), buffer, Int32(count), cmpi_double(), cmpi_sum(), cmpi_comm_world(), &request)
        return request
    }

    /// Lets pending non-blocking operations progress (Open MPI advances them only inside MPI calls).
    public func progress(_ requests: inout [MPI_Request?]) {
        guard !requests.isEmpty else { return }
        var done: Int32 = 0
        MPI_Testall(Int32(requests.count), &requests, &done, nil)
    }

    /// Waits for `requests` (under the watchdog; `what` names them in a timeout message).
    public func waitAll(_ requests: inout [MPI_Request?], what: @autoclosure () -> String = "non-blocking allreduces") {
        guard !requests.isEmpty else { return }
        let count = requests.count
        Watchdog.shared.guarding("\(what()) (\(count) pending)") { _ = MPI_Waitall(Int32(count), &requests, nil) }
    }

    /// Element-wise sum of small Double arrays over ranks (metrics).
    public func sum(_ values: [Double], what: @autoclosure () -> String = "a metric sum") -> [Double] {
        guard size > 1 else { return values }
        var result = values
        Watchdog.shared.guarding(what()) {
            _ = MPI_Allreduce(cmpi_in_place(), &result, Int32(result.count), cmpi_double(), cmpi_sum(), cmpi_comm_world())
        }
        return result
    }

    public func barrier(what: @autoclosure () -> String = "a barrier") {
        guard size > 1 else { return }
        Watchdog.shared.guarding(what()) { _ = MPI_Barrier(cmpi_comm_world()) }
    }

    /// Whether mpirun (or another launcher) started this process; a plain process is an MPI
    /// singleton. Read before MPI_Init, which sets the same variables in a singleton.
    public let isLaunched: Bool

    /// Ends the whole job: prints `message` on stderr and makes mpirun exit non-zero. A plain
    /// process just exits with `code`: there is no job to take down, and MPI_Abort would wrap the
    /// message in Open MPI's banner.
    public func abort(_ message: String, code: Int32 = 1) -> Never {
        guard isLaunched else {
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            exit(code)
        }
        FileHandle.standardError.write(Data("error (rank \(rank) of \(size)): \(message)\n".utf8))
        MPI_Abort(cmpi_comm_world(), code)
        exit(code)
    }

    public func finalize() {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { MPI_Finalize() }
    }
}
