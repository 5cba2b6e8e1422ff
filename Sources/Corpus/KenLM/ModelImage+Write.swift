import AtomicFiles
import Foundation

extension ModelImage {
    /// The image as a kenlm binary file: header, tables, the vocabulary's words. Written to a
    /// temporary file and renamed into place only once complete, so a failed write leaves nothing
    /// that looks like a model.
    func write(to path: String) throws {
        try AtomicFile.replace(path) { temporary in
            guard let file = fopen(temporary, "wb") else {
                throw CorpusError.unreadableFile(path: temporary, reason: "cannot create: \(String(cString: strerror(errno)))")
            }
            var failed = false
            func put(_ pointer: UnsafeRawPointer, _ count: Int) { if !failed, fwrite(pointer, 1, count, file) != count { failed = true } }
            let headerBytes = header.bytes
            headerBytes.withUnsafeBytes { put($0.baseAddress!, $0.count) }
            put(bytes.baseAddress! + headerBytes.count, bytes.count - headerBytes.count)
            words.withUnsafeBytes { put($0.baseAddress!, $0.count) }
            let reason = String(cString: strerror(errno))
            if fclose(file) != 0 || failed {
                throw CorpusError.unreadableFile(path: path, reason: "writing failed: \(reason)")
            }
        }
    }
}
