import CZlib
import Foundation

/// Reads a file line by line in bounded memory, inflating gzip on the fly (detected by its magic
/// bytes, concatenated members included). Lines are raw bytes without the trailing "\n".
public final class LineReader {
    public let path: String
    private let file: UnsafeMutablePointer<FILE>
    private var stream = z_stream()
    /// Whether the file starts with gzip's magic bytes (the name does not decide).
    public let isGzip: Bool
    private var input = [UInt8](repeating: 0, count: 1 << 20)
    private var buffer: [UInt8] = []
    private var start = 0
    private var finished = false
    /// 1-based number of the last line returned.
    public private(set) var lineNumber = 0
    /// Set when a gzip stream ended early or was corrupt; lines before the damage were returned.
    public private(set) var damage: String?
    /// Bytes read from the file so far (compressed bytes for gzip): progress through the input.
    public private(set) var bytesRead = 0

    public init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CorpusError.unreadableFile(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw CorpusError.unreadableFile(path: path, reason: "is a directory, not a corpus file") }
        guard let file = fopen(path, "rb") else {
            throw CorpusError.unreadableFile(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        self.file = file
        // Sniff the gzip magic from the first chunk instead of rewinding: pipes cannot rewind.
        let count = input.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        bytesRead = count
        isGzip = count >= 2 && input[0] == 0x1F && input[1] == 0x8B
        if isGzip {
            guard czlib_inflate_init_gzip(&stream) == Z_OK else {
                fclose(file)
                throw CorpusError.unreadableFile(path: path, reason: "cannot start gzip decompression")
            }
            stream.avail_in = UInt32(count)
            pendingInput = count
        } else {
            buffer.append(contentsOf: input[0..<count])
            if count == 0 { finished = true }
        }
    }

    deinit {
        if isGzip { inflateEnd(&stream) }
        fclose(file)
    }

    /// The next line, or nil at the end of the file.
    public func nextLine() -> ArraySlice<UInt8>? {
        while true {
            // memchr: the C library's vectorised scan rather than a generic element-by-element search.
            let found = buffer.withUnsafeBufferPointer { bytes -> Int? in
                guard start < bytes.count, let hit = memchr(bytes.baseAddress! + start, 0x0A, bytes.count - start) else { return nil }
                return bytes.baseAddress!.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            }
            if let newline = found {
                let line = buffer[start..<newline]
                start = newline + 1
                lineNumber += 1
                return line
            }
            if finished {
                // After damage the unterminated tail is a cut line: it belongs to the damage report.
                guard start < buffer.count, damage == nil else { return nil }
                let line = buffer[start...]
                start = buffer.count
                lineNumber += 1
                return line
            }
            buffer.removeSubrange(0..<start)
            start = 0
            fill()
        }
    }

    /// Appends the next piece of (decompressed) data to `buffer`, or marks the end.
    private func fill() {
        if !isGzip {
            let count = input.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            bytesRead += count
            if count == 0 { finished = true } else { buffer.append(contentsOf: input[0..<count]) }
            return
        }
        if stream.avail_in == 0 {
            let count = input.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            bytesRead += count
            if count == 0 {
                if stream.total_in > 0 || stream.total_out > 0 { damage = "the gzip stream is truncated (the file ends mid-stream)" }
                finished = true
                return
            }
            stream.avail_in = UInt32(count)
            pendingInput = count
        }
        var output = [UInt8](repeating: 0, count: 1 << 20)
        let status: Int32 = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress! + (pendingInput - Int(stream.avail_in))
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                return inflate(&stream, Z_NO_FLUSH)
            }
        }
        buffer.append(contentsOf: output[0..<(output.count - Int(stream.avail_out))])
        switch status {
        case Z_OK, Z_BUF_ERROR:
            break
        case Z_STREAM_END:
            // Another gzip member may follow (as `cat a.gz b.gz` makes); otherwise the file is done.
            if stream.avail_in == 0, feof(file) != 0 {
                finished = true
            } else {
                inflateReset(&stream)
            }
        default:
            damage = "corrupt gzip data after \(stream.total_in) compressed bytes"
            finished = true
        }
    }

    /// Bytes the last `fread` put into `input` (inflate has consumed all but `avail_in` of them).
    private var pendingInput = 0
}
