import CorpusIO
import Foundation

/// This process's share of a sharded corpus job (`sample`, `prepare`): `--shard i/N`, else its rank
/// under mpirun (Open MPI's OMPI_COMM_WORLD_RANK / OMPI_COMM_WORLD_SIZE), else the whole job. MPI
/// itself is not started: the processes coordinate through the output folder only, so one that dies
/// never leaves the others waiting. (Under srun, pass `--shard $SLURM_PROCID/$SLURM_NTASKS`.)
func corpusShare(_ option: String?) throws -> WorkShare {
    let environment = ProcessInfo.processInfo.environment
    let launched = environment["OMPI_COMM_WORLD_SIZE"].flatMap(Int.init).map { size in
        (rank: environment["OMPI_COMM_WORLD_RANK"].flatMap(Int.init) ?? 0, size: size)
    }
    if let option {
        if let launched, launched.size > 1 {
            throw CorpusError.invalidInput(path: "--shard", reason: "give --shard or run under mpirun -np \(launched.size), not both")
        }
        return try WorkShare(parsing: option)
    }
    guard let launched else { return .whole }
    return try WorkShare(index: launched.rank, count: launched.size)
}

/// Seconds between progress lines: under mpirun only rank 0 prints (shares are dealt round robin,
/// so its ETA stands for the job's), every other process prints its own.
func progressInterval(_ seconds: Double) -> Double {
    let environment = ProcessInfo.processInfo.environment
    guard let rank = environment["OMPI_COMM_WORLD_RANK"].flatMap(Int.init), rank > 0 else { return seconds }
    return .infinity
}

/// Says on stderr that this share is done and who finishes the job.
func reportShareDone(_ share: WorkShare, output: String, finalFile: String) {
    let path = URL(fileURLWithPath: output).appendingPathComponent(finalFile).path
    FileHandle.standardError.write(Data("share \(share) done; other shares are still working: the last to finish writes \(path) (rerunning any share after they all end writes it too)\n".utf8))
}
