import CHDF5
import Foundation

/// Debian's serial HDF5 is not thread-safe: every call into it holds this lock (tests, and any
/// program that checkpoints from several threads, would otherwise corrupt its global state).
let hdf5Lock = NSRecursiveLock()

/// Runs `body` holding `hdf5Lock`.
@inline(__always)
func withHDF5<Result>(_ body: () throws -> Result) rethrows -> Result {
    hdf5Lock.lock()
    defer { hdf5Lock.unlock() }
    return try body()
}

/// The few HDF5 operations a checkpoint needs, each turning a negative HDF5 status into a
/// `CheckpointError` that names the file and dataset. Every dataset is chunked with HDF5's
/// fletcher32 checksum filter, so a flipped bit is reported on read instead of loaded.
final class HDF5File {
    let path: String
    private(set) var id: hid_t

    private init(path: String, id: hid_t) {
        self.path = path
        self.id = id
    }

    deinit { withHDF5 { if id >= 0 { _ = H5Fclose(id) } } }

    /// A new, empty file (an existing one is replaced), in HDF5 1.10's file format: its superblock,
    /// object headers and indexes carry checksums, so libhdf5 refuses damaged metadata instead of
    /// following it (damaged files in the older, unchecksummed format crashed libhdf5 1.10.8 under
    /// fuzzing). h5py, h5dump and every libhdf5 from 1.10 read it.
    static func create(at path: String) throws -> HDF5File {
        return try withHDF5 {
            chdf5_silence_errors()
            let access = H5Pcreate(chdf5_plist_file_access())
            defer { H5Pclose(access) }
            guard access >= 0, H5Pset_libver_bounds(access, H5F_LIBVER_V110, H5F_LIBVER_V110) >= 0 else {
                throw CheckpointError.file(path: path, reason: "cannot ask libhdf5 for the 1.10 file format")
            }
            let id = H5Fcreate(path, chdf5_acc_trunc(), chdf5_default(), access)
            guard id >= 0 else { throw CheckpointError.file(path: path, reason: "cannot create the file") }
            return HDF5File(path: path, id: id)
        }
    }

    /// An existing file, read-only.
    static func open(at path: String) throws -> HDF5File {
        return try withHDF5 {
            chdf5_silence_errors()
            guard FileManager.default.fileExists(atPath: path) else {
                throw CheckpointError.file(path: path, reason: "no such file")
            }
            try HDF5Superblock.requireChecksummed(path)
            let id = H5Fopen(path, chdf5_acc_rdonly(), chdf5_default())
            guard id >= 0 else {
                throw CheckpointError.file(path: path, reason: "not a readable HDF5 file (truncated or corrupt?)")
            }
            return HDF5File(path: path, id: id)
        }
    }

    /// Flushes and closes; after this the object must not be used.
    func close() throws {
        try withHDF5 {
            guard id >= 0 else { return }
            let flushed = H5Fflush(id, H5F_SCOPE_GLOBAL)
            let closed = H5Fclose(id)
            id = -1
            guard flushed >= 0, closed >= 0 else { throw CheckpointError.file(path: path, reason: "flushing or closing failed") }
        }
    }

    /// Gives up a file whose writing failed: closes it without caring whether the close can
    /// flush (on a full disk it cannot), so nothing is left open in the library.
    func abandon() {
        withHDF5 {
            guard id >= 0 else { return }
            _ = H5Fclose(id)
            id = -1
        }
    }

    // MARK: - Writing

    func write(floats: UnsafeBufferPointer<Float>, shape: [Int], at name: String) throws {
        try withHDF5 {
            guard !shape.isEmpty, shape.reduce(1, *) == floats.count else {
                throw CheckpointError.dataset(path: path, dataset: name, reason: "shape \(shape) does not hold \(floats.count) values")
            }
            try writeDataset(name, fileType: chdf5_ieee_f32le(), memoryType: chdf5_native_float(), shape: shape, data: UnsafeRawPointer(floats.baseAddress))
        }
    }

    func write(integers: [Int64], at name: String) throws {
        try withHDF5 {
            try integers.withUnsafeBufferPointer { buffer in
                try writeDataset(name, fileType: chdf5_std_i64le(), memoryType: chdf5_native_int64(), shape: [integers.count],
                                 data: UnsafeRawPointer(buffer.baseAddress))
            }
        }
    }

    /// UTF-8 text as one fixed-length, null-padded string (h5py reads it as bytes, h5dump prints it).
    func write(text: String, at name: String) throws {
        try withHDF5 {
            var bytes = Array(text.utf8)
            if bytes.isEmpty { bytes = [0] }
            let type = H5Tcopy(chdf5_c_string())
            defer { H5Tclose(type) }
            guard H5Tset_size(type, bytes.count) >= 0, H5Tset_strpad(type, H5T_STR_NULLPAD) >= 0,
                  H5Tset_cset(type, H5T_CSET_UTF8) >= 0 else {
                throw CheckpointError.dataset(path: path, dataset: name, reason: "cannot make a string type")
            }
            try bytes.withUnsafeBufferPointer { buffer in
                try writeDataset(name, fileType: type, memoryType: type, shape: [1], data: UnsafeRawPointer(buffer.baseAddress))
            }
        }
    }

    private func writeDataset(_ name: String, fileType: hid_t, memoryType: hid_t, shape: [Int], data: UnsafeRawPointer?) throws {
        func fail(_ reason: String) -> CheckpointError { .dataset(path: path, dataset: name, reason: reason) }
        let space = try dataspace(shape, fail)
        defer { H5Sclose(space) }
        let layout = H5Pcreate(chdf5_plist_dataset_create())
        defer { H5Pclose(layout) }
        if !shape.contains(0) {
            // One chunk per dataset (the largest, BERTIN's word table, is 154 MB; HDF5 allows 4 GiB).
            let dims = shape.map { hsize_t($0) }
            guard H5Pset_chunk(layout, Int32(dims.count), dims) >= 0, H5Pset_fletcher32(layout) >= 0 else {
                throw fail("cannot set up chunking with the fletcher32 checksum")
            }
        }
        let dataset = try createDataset(name, type: fileType, space: space, properties: layout, fail)
        defer { H5Dclose(dataset) }
        if !shape.contains(0), H5Dwrite(dataset, memoryType, chdf5_space_all(), chdf5_space_all(), chdf5_default(), data) < 0 {
            throw fail("writing failed")
        }
    }

    /// A simple dataspace of `shape` (close it with H5Sclose).
    func dataspace(_ shape: [Int], _ fail: (String) -> CheckpointError) throws -> hid_t {
        let dims = shape.map { hsize_t($0) }
        let space = H5Screate_simple(Int32(dims.count), dims, nil)
        guard space >= 0 else { throw fail("cannot make a dataspace of shape \(shape)") }
        return space
    }

    /// Creates dataset `name`, and the groups on its path (close it with H5Dclose).
    func createDataset(_ name: String, type: hid_t, space: hid_t, properties: hid_t, _ fail: (String) -> CheckpointError) throws -> hid_t {
        let links = H5Pcreate(chdf5_plist_link_create())
        defer { H5Pclose(links) }
        H5Pset_create_intermediate_group(links, 1)
        let dataset = H5Dcreate2(id, name, type, space, links, properties, chdf5_default())
        guard dataset >= 0 else { throw fail("cannot create the dataset") }
        return dataset
    }

    // MARK: - Reading

    func exists(_ name: String) -> Bool {
        return withHDF5 {
            var prefix = ""
            for component in name.split(separator: "/") {
                prefix += "/" + component
                if H5Lexists(id, prefix, chdf5_default()) <= 0 { return false }
            }
            return true
        }
    }

    /// Names of the links directly inside a group, sorted.
    func names(in group: String) throws -> [String] {
        return try withHDF5 {
            guard exists(group) else { throw CheckpointError.dataset(path: path, dataset: group, reason: "missing group") }
            var collected: [String] = []
            var index: hsize_t = 0
            let status = withUnsafeMutablePointer(to: &collected) { pointer in
                H5Literate_by_name(id, group, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, context in
                    context!.assumingMemoryBound(to: [String].self).pointee.append(String(cString: name!))
                    return 0
                }, pointer, chdf5_default())
            }
            guard status >= 0 else { throw CheckpointError.dataset(path: path, dataset: group, reason: "cannot list the group") }
            return collected.sorted()
        }
    }

    /// Reads a float32 dataset into `destination`, which must have room for `shape`'s values.
    func readFloats(at name: String, expecting shape: [Int], into destination: UnsafeMutablePointer<Float>) throws {
        try withHDF5 {
            try withDataset(name) { dataset, fail in
                let found = try self.shape(of: dataset, fail)
                guard found == shape else { throw fail("has shape \(found), expected \(shape)") }
                try requireType(dataset, class: H5T_FLOAT, size: 4, fail)
                if !shape.contains(0), H5Dread(dataset, chdf5_native_float(), chdf5_space_all(), chdf5_space_all(), chdf5_default(), destination) < 0 {
                    throw fail("reading failed (checksum mismatch or corrupt data)")
                }
            }
        }
    }

    func readIntegers(at name: String) throws -> [Int64] {
        return try withHDF5 {
            try withDataset(name) { dataset, fail in
                let shape = try self.shape(of: dataset, fail)
                guard shape.count == 1 else { throw fail("has shape \(shape), expected a list") }
                try requireType(dataset, class: H5T_INTEGER, size: 8, fail)
                try requireBacked(count: shape[0], of: 8, fail)
                var values = [Int64](repeating: 0, count: shape[0])
                if shape[0] > 0, H5Dread(dataset, chdf5_native_int64(), chdf5_space_all(), chdf5_space_all(), chdf5_default(), &values) < 0 {
                    throw fail("reading failed (checksum mismatch or corrupt data)")
                }
                return values
            }
        }
    }

    func readText(at name: String) throws -> String {
        return try withHDF5 {
            try withDataset(name) { dataset, fail in
                let type = H5Dget_type(dataset)
                defer { H5Tclose(type) }
                guard H5Tget_class(type) == H5T_STRING, H5Tis_variable_str(type) == 0 else { throw fail("is not a fixed-length string") }
                guard try self.shape(of: dataset, fail) == [1] else { throw fail("is not a single string") }
                try requireBacked(count: 1, of: H5Tget_size(type), fail)
                var bytes = [UInt8](repeating: 0, count: H5Tget_size(type))
                guard H5Dread(dataset, type, chdf5_space_all(), chdf5_space_all(), chdf5_default(), &bytes) >= 0 else {
                    throw fail("reading failed (checksum mismatch or corrupt data)")
                }
                guard let text = String(validating: bytes.prefix { $0 != 0 }, as: UTF8.self) else { throw fail("is not valid UTF-8") }
                return text
            }
        }
    }

    /// Metadata datasets (counts, ranges, texts) hold at most what the file's bytes hold: our files
    /// store them uncompressed and allocated. A damaged file declaring more (a huge extent over
    /// unallocated chunks) is refused before anything that size is allocated or read.
    func requireBacked(count: Int, of size: Int, _ fail: (String) -> CheckpointError) throws {
        let fileBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow, bytes <= fileBytes else {
            throw fail("declares \(count) values of \(size) bytes in a \(fileBytes)-byte file (damaged?)")
        }
    }

    func withDataset<Result>(_ name: String, _ body: (hid_t, (String) -> CheckpointError) throws -> Result) throws -> Result {
        let fail = { (reason: String) in CheckpointError.dataset(path: self.path, dataset: name, reason: reason) }
        guard exists(name) else { throw fail("missing") }
        let dataset = H5Dopen2(id, name, chdf5_default())
        guard dataset >= 0 else { throw fail("cannot open (not a dataset?)") }
        defer { H5Dclose(dataset) }
        return try body(dataset, fail)
    }

    func shape(of dataset: hid_t, _ fail: (String) -> CheckpointError) throws -> [Int] {
        let space = H5Dget_space(dataset)
        defer { H5Sclose(space) }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0 else { throw fail("has an unreadable dataspace") }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        H5Sget_simple_extent_dims(space, &dims, nil)
        return dims.map { Int($0) }
    }

    func requireType(_ dataset: hid_t, class expected: H5T_class_t, size: Int, _ fail: (String) -> CheckpointError) throws {
        let type = H5Dget_type(dataset)
        defer { H5Tclose(type) }
        guard H5Tget_class(type) == expected, H5Tget_size(type) == size else {
            throw fail("has the wrong element type (expected \(expected == H5T_FLOAT ? "float32" : "int64"))")
        }
    }
}
