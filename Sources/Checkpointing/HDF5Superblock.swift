import Foundation

/// The one check made before libhdf5 sees a file: its superblock must be version 2 or later, the
/// formats whose metadata carry checksums. libhdf5 1.10.8 trusts the older formats' metadata and
/// crashed on damaged files of them (heap corruption, a wild read in H5F__accum_read; found by
/// `bertin fuzz --target checkpoint`); with checksums it refuses the damage by name. This guards
/// against damage, not against a file crafted to be hostile with valid checksums.
enum HDF5Superblock {
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]

    static func requireChecksummed(_ path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CheckpointError.file(path: path, reason: "cannot be opened for reading")
        }
        defer { try? handle.close() }
        // HDF5 looks for its signature at 0, 512, 1024, 2048, … (a user block may come first).
        let size = (try? handle.seekToEnd()) ?? 0
        var offset: UInt64 = 0
        while offset + UInt64(signature.count) + 1 <= size {
            try? handle.seek(toOffset: offset)
            let head = [UInt8]((try? handle.read(upToCount: signature.count + 1)) ?? Data())
            if head.count == signature.count + 1, Array(head.prefix(signature.count)) == signature {
                let version = head[signature.count]
                guard version >= 2 else {
                    throw CheckpointError.file(path: path, reason: """
                        is in HDF5's older file format (superblock version \(version)), whose metadata has no checksums: \
                        libhdf5 can crash on a damaged one, so it is not read. Rewrite it in the 1.10 format with \
                        `h5repack --low=2 --high=2 OLD NEW` (hdf5-tools), or with h5py's File(..., libver=("v110", "v110"))
                        """)
                }
                return
            }
            offset = offset == 0 ? 512 : offset * 2
        }
        throw CheckpointError.file(path: path, reason: "not an HDF5 file (no HDF5 signature)")
    }
}
