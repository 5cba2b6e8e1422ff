import CZlib
import AtomicFiles
import Foundation

/// Writes lines to a gzip file, atomically: into `.<name>.partial-<pid>` beside it, renamed into place by `finish()`.
public final class GzipLineWriter {
    public let path: String
    private let temporary: String
    private let file: UnsafeMutablePointer<FILE>
    private var stream = z_stream()
    private var output = [UInt8](repeating: 0, count: 1 << 18)
    private var done = false

    public init(path: String, level: Int32 = 6) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        temporary = AtomicFile.temporaryPath(for: url.path)
        guard let file = fopen(temporary, "wb") else {
            throw CorpusError.unreadableFile(path: path, reason: "cannot create: \(String(cString: strerror(errno)))")
        }
        self.file = file
        guard czlib_deflate_init_gzip(&stream, level) == Z_OK else {
            fclose(file)
            throw CorpusError.unreadableFile(path: path, reason: "cannot start gzip compression")
        }
    }

    deinit {
        if !done {
            deflateEnd(&stream)
            fclose(file)
            unlink(temporary)
        }
    }

    /// Appends `line` and a newline.
    public func write<Bytes: Collection>(line: Bytes) throws where Bytes.Element == UInt8 {
        var bytes = Array(line)
        bytes.append(0x0A)
        try compress(bytes, flush: Z_NO_FLUSH)
    }

    /// Ends the gzip stream, syncs and renames the file into place.
    public func finish() throws {
        try compress([], flush: Z_FINISH)
        deflateEnd(&stream)
        done = true
        let flushed = fflush(file) == 0
        fclose(file)
        do {
            guard flushed else { throw AtomicFile.Failure(path: path, reason: String(cString: strerror(errno))) }
            try AtomicFile.commit(temporary: temporary, to: path)
        } catch {
            AtomicFile.discard(temporary)
            throw CorpusError.unreadableFile(path: path, reason: "cannot finish writing: \(error)")
        }
    }

    private func compress(_ bytes: [UInt8], flush: Int32) throws {
        var bytes = bytes
        try bytes.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = UInt32(source.count)
            repeat {
                let status: Int32 = output.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(target.count)
                    return deflate(&stream, flush)
                }
                let produced = output.count - Int(stream.avail_out)
                if produced > 0, fwrite(output, 1, produced, file) != produced {
                    throw CorpusError.unreadableFile(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
                }
                if status == Z_STREAM_END { break }
                guard status == Z_OK || status == Z_BUF_ERROR else {
                    throw CorpusError.unreadableFile(path: path, reason: "gzip compression failed (\(status))")
                }
            } while stream.avail_out == 0 || (flush == Z_FINISH)
        }
    }
}
