import CHDF5

/// Virtual datasets (a full-shape tensor whose pieces live in other files) and reads of a flat
/// range of a tensor: what sharded checkpoints are made of.
extension HDF5File {
    /// A piece of a virtual tensor: flat elements `tensorRange` of it are elements `sourceRange`
    /// of the 1-D float32 dataset `dataset` in `file` (a path relative to this file's folder).
    struct VirtualPiece: Equatable {
        var file: String
        var dataset: String
        var sourceRange: Range<Int>
        var tensorRange: Range<Int>
    }

    /// A float32 dataset of `shape` made of `pieces` (which should cover it; anything uncovered
    /// reads as NaN, never as plausible zeros).
    func writeVirtual(shape: [Int], pieces: [VirtualPiece], at name: String) throws {
        try withHDF5 {
            func fail(_ reason: String) -> CheckpointError { .dataset(path: path, dataset: name, reason: reason) }
            let space = try dataspace(shape, fail)
            defer { H5Sclose(space) }
            let properties = H5Pcreate(chdf5_plist_dataset_create())
            defer { H5Pclose(properties) }
            var fill = Float.nan
            guard H5Pset_fill_value(properties, chdf5_native_float(), &fill) >= 0 else { throw fail("cannot set the fill value") }
            for piece in pieces where !piece.tensorRange.isEmpty {
                guard piece.sourceRange.count == piece.tensorRange.count else { throw fail("a piece maps \(piece.sourceRange.count) values onto \(piece.tensorRange.count)") }
                var source = piece.sourceRange.lowerBound
                for slab in hyperslabs(covering: piece.tensorRange, of: shape) {
                    let virtualSpace = H5Scopy(space)
                    defer { H5Sclose(virtualSpace) }
                    var sourceDims = [hsize_t(piece.sourceRange.upperBound)]
                    let sourceSpace = H5Screate_simple(1, &sourceDims, nil)
                    defer { H5Sclose(sourceSpace) }
                    let start = slab.start.map { hsize_t($0) }, count = slab.count.map { hsize_t($0) }
                    var sourceStart = [hsize_t(source)], sourceCount = [hsize_t(slab.elements)]
                    guard H5Sselect_hyperslab(virtualSpace, H5S_SELECT_SET, start, nil, count, nil) >= 0,
                          H5Sselect_hyperslab(sourceSpace, H5S_SELECT_SET, &sourceStart, nil, &sourceCount, nil) >= 0,
                          H5Pset_virtual(properties, virtualSpace, piece.file, piece.dataset, sourceSpace) >= 0 else {
                        throw fail("cannot map \(piece.file):\(piece.dataset) into it")
                    }
                    source += slab.elements
                }
            }
            H5Dclose(try createDataset(name, type: chdf5_ieee_f32le(), space: space, properties: properties, fail))
        }
    }

    /// Reads flat elements `range` of the float32 dataset `name`, which must have `shape`, into
    /// `destination` (room for `range.count` values). Works on virtual datasets alike.
    func readFloats(at name: String, expecting shape: [Int], range: Range<Int>, into destination: UnsafeMutablePointer<Float>) throws {
        guard !range.isEmpty else { return }
        try withHDF5 {
            try withDataset(name) { dataset, fail in
                let found = try self.shape(of: dataset, fail)
                guard found == shape else { throw fail("has shape \(found), expected \(shape)") }
                try requireType(dataset, class: H5T_FLOAT, size: 4, fail)
                let fileSpace = H5Dget_space(dataset)
                defer { H5Sclose(fileSpace) }
                H5Sselect_none(fileSpace)
                for slab in hyperslabs(covering: range, of: shape) {
                    let start = slab.start.map { hsize_t($0) }, count = slab.count.map { hsize_t($0) }
                    guard H5Sselect_hyperslab(fileSpace, H5S_SELECT_OR, start, nil, count, nil) >= 0 else { throw fail("cannot select elements \(range)") }
                }
                var memoryDims = [hsize_t(range.count)]
                let memorySpace = H5Screate_simple(1, &memoryDims, nil)
                defer { H5Sclose(memorySpace) }
                guard H5Dread(dataset, chdf5_native_float(), memorySpace, fileSpace, chdf5_default(), destination) >= 0 else {
                    throw fail("reading failed (checksum mismatch, corrupt data or a missing shard)")
                }
            }
        }
    }
}

extension HDF5File {
    /// Whether `name` is a virtual dataset.
    func isVirtual(_ name: String) throws -> Bool {
        try withHDF5 {
            try withDataset(name) { dataset, _ in
                let properties = H5Dget_create_plist(dataset)
                defer { H5Pclose(properties) }
                return H5Pget_layout(properties) == H5D_VIRTUAL
            }
        }
    }
}
