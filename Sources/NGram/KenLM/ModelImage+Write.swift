import AtomicFiles
import Foundation

extension ModelImage {
    /// The image as a kenlm binary file: header, tables, the vocabulary's words, written the
    /// project's one way (a temporary renamed into place only once complete and synced), so a failed
    /// write leaves nothing that looks like a model.
    func write(to path: String) throws {
        try AtomicFile.write(to: path) { handle in
            try handle.write(contentsOf: header.bytes)
            let tables = bytes.baseAddress! + header.size
            try handle.write(contentsOf: Data(bytesNoCopy: tables, count: bytes.count - header.size, deallocator: .none))
            try handle.write(contentsOf: words)
        }
    }
}
