import ArgumentParser
import CBLAS
import CHDF5
import CMPI
import CZlib
import Kernels

/// Prints which native libraries this binary runs on, to check an installation at a glance.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the native libraries (OpenBLAS, Open MPI, HDF5, zlib) and the thread count.")

    @Option(help: "Threads for the kernels and OpenBLAS (default: all cores, or BERTIN_THREADS).")
    var threads: Int?

    func run() throws {
        ComputeThreads.configure(threads: threads)
        print("threads:  \(ComputeThreads.count) (OpenBLAS reports \(openblas_get_num_threads()))")
        print("OpenBLAS: \(String(cString: openblas_get_config()))")
        var length: Int32 = 0
        var mpiVersion = [CChar](repeating: 0, count: Int(cmpi_max_library_version_string()) + 1)
        MPI_Get_library_version(&mpiVersion, &length)
        let mpiLine = String(cString: mpiVersion).split(separator: "\n").first.map(String.init) ?? ""
        print("MPI:      \(mpiLine.trimmingCharacters(in: .whitespaces))")
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        H5get_libversion(&major, &minor, &release)
        print("HDF5:     \(major).\(minor).\(release)")
        print("zlib:     \(String(cString: zlibVersion()))")
    }
}
