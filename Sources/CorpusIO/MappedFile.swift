import Foundation

/// A whole file mapped read-only, so a model of any size loads in constant time and its pages are
/// shared by every process on the node that maps it (the kernel's page cache, as kenlm's mmap).
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let bytes: UnsafeRawBufferPointer

    public init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            let reason = errno == ENOENT ? "no such file" : "cannot open: \(String(cString: strerror(errno)))"
            throw CorpusError.unreadableFile(path: path, reason: reason)
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw CorpusError.unreadableFile(path: path, reason: "cannot stat: \(String(cString: strerror(errno)))") }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw CorpusError.unreadableFile(path: path, reason: "not a regular file") }
        let size = Int(status.st_size)
        guard size > 0 else { throw CorpusError.invalidInput(path: path, reason: "the file is empty") }
        guard let address = mmap(nil, size, PROT_READ, MAP_SHARED, descriptor, 0), address != MAP_FAILED else {
            throw CorpusError.unreadableFile(path: path, reason: "cannot map: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count) }
}
