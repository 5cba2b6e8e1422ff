import ArgumentParser
import CBLAS
import CHDF5
import CMPI
import CZlib
import Kernels

/// Prints what this binary runs on: the CPU and the instructions used, OpenBLAS's kernel and who
/// chose it, its measured speed, and the native libraries, to check an installation at a glance.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the CPU, OpenBLAS's kernel (and who chose it), measured sgemm speed, MPI, HDF5 and zlib.")

    @Option(help: "Threads for the kernels and OpenBLAS (default: all cores, or BERTIN_THREADS).")
    var threads: Int?

    func run() throws {
        ComputeThreads.configure(threads: threads)
        let selection = KernelSelection.current
        let cpu = selection.cpu
        print("CPU:      \(cpu.summary)")
        print("ISA:      \(cpu.vectorTier) (\(cpu.features.sorted().map(\.rawValue).joined(separator: " ")))")
        print("kernels:  our SIMD loops built for \(KernelBuild.target); OpenBLAS core \(selection.core) (\(selection.source.rawValue))"
              + (selection.refused.isEmpty ? "" : "; refused by the self-check: \(selection.refused.joined(separator: ", "))"))
        print("OpenBLAS: \(OpenBLASCore.configuration)")
        print("threads:  \(ComputeThreads.count) (OpenBLAS reports \(openblas_get_num_threads()))")
        let report = PlatformReport.measure(selection: selection, threads: ComputeThreads.count)
        print("sgemm:    \(report.rateText)")
        for warning in report.rateWarnings { print("warning:  \(warning)") }
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
