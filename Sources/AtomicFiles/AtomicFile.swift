import Foundation

/// Write-then-rename, the one way this project replaces a file or folder: everything is written to
/// `.<name>.partial-<pid>` beside the target, synced, and renamed over it only when complete, so a
/// crash at any point leaves the previous target intact and never a half-written one under its name.
public enum AtomicFile {
    public struct Failure: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "\(path): \(reason)" }
        public init(path: String, reason: String) { (self.path, self.reason) = (path, reason) }
    }

    /// The hidden temporary name beside `path` (never matched by `step-*.h5` or shard globs).
    public static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())").path
    }

    /// Syncs `temporary` (a file or a folder of files) and renames it to `path`, then syncs the folder.
    public static func commit(temporary: String, to path: String) throws {
        try synchronize(temporary)
        guard rename(temporary, path) == 0 else {
            throw Failure(path: path, reason: "cannot rename \(temporary) into place: \(String(cString: strerror(errno)))")
        }
        try? synchronize(URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }

    /// Removes a temporary left by a failed write.
    public static func discard(_ temporary: String) {
        try? FileManager.default.removeItem(atPath: temporary)
    }

    /// Runs `body` on the temporary path (it creates the file or folder there), then commits it;
    /// on any failure the temporary is removed and `path` is left as it was.
    public static func replace(_ path: String, using body: (_ temporary: String) throws -> Void) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw Failure(path: path, reason: "cannot create the folder \(folder.path): \(error.localizedDescription)")
        }
        let temporary = temporaryPath(for: path)
        do {
            try body(temporary)
            try commit(temporary: temporary, to: path)
        } catch {
            discard(temporary)
            throw error
        }
    }

    /// `replace` for a plain file written through a handle.
    public static func write(to path: String, _ body: (FileHandle) throws -> Void) throws {
        try replace(path) { temporary in
            guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
                throw Failure(path: path, reason: "cannot create \(temporary)")
            }
            defer { try? handle.close() }
            do { try body(handle) } catch let error as Failure { throw error } catch {
                throw Failure(path: path, reason: "cannot write: \(error.localizedDescription)")
            }
        }
    }

    /// fsync: the bytes are on disk before the rename makes them the target. A folder's files are
    /// synced one by one, then the folder itself.
    static func synchronize(_ path: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                var child: ObjCBool = false
                let childPath = (path as NSString).appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: childPath, isDirectory: &child), !child.boolValue { try synchronizeOne(childPath) }
            }
        }
        try synchronizeOne(path)
    }

    private static func synchronizeOne(_ path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw Failure(path: path, reason: "cannot open to sync") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw Failure(path: path, reason: "fsync failed: \(String(cString: strerror(errno)))") }
    }
}
