import Foundation

/// A progress line on stderr every `interval` seconds: units done, documents, documents per second
/// and an ETA from the input bytes read (compressed bytes for gzip, which track the work closely
/// since every document is decompressed and scored or tokenized).
public final class ProgressLine {
    let label: String
    let totalUnits: Int
    let totalBytes: Int
    let interval: TimeInterval
    let write: (String) -> Void
    let started = Date()
    private var lastPrinted = Date()
    private(set) var unitsDone = 0
    private(set) var documents = 0
    private var bytesDone = 0
    private var bytesInUnit = 0

    public init(label: String, units: Int, bytes: Int, interval: TimeInterval = 10,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        (self.label, totalUnits, totalBytes, self.interval, self.write) = (label, units, bytes, interval, write)
    }

    /// Bytes of the unit in progress read so far.
    public func update(bytesInUnit: Int, documents: Int) {
        self.bytesInUnit = bytesInUnit
        self.documents = documents
        if Date().timeIntervalSince(lastPrinted) >= interval { print() }
    }

    /// A unit is done (its input bytes counted whole).
    public func finishUnit(bytes: Int) {
        unitsDone += 1
        bytesDone += bytes
        bytesInUnit = 0
    }

    /// Prints the line now (never when the interval is infinite: a quiet process).
    public func print() {
        guard interval.isFinite else { return }
        lastPrinted = Date()
        write(line)
    }

    var line: String {
        let seconds = Date().timeIntervalSince(started)
        let done = bytesDone + bytesInUnit
        let fraction = totalBytes > 0 ? Double(done) / Double(totalBytes) : 1
        let eta = fraction > 0 ? seconds * (1 - fraction) / fraction : .infinity
        return "\(label): \(unitsDone) of \(totalUnits) units, \(documents) documents, "
            + String(format: "%.0f documents/s, %.1f%% of %@ read, ETA %@", Double(documents) / max(seconds, 1e-9), 100 * fraction,
                     Self.bytes(totalBytes), Self.duration(eta))
    }

    static func bytes(_ count: Int) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(count), unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return String(format: unit == 0 ? "%.0f %@" : "%.1f %@", value, units[unit])
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "unknown" }
        let total = Int(seconds.rounded())
        return String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
    }
}

/// Size of a file in bytes (0 when it cannot be read: the reader reports that properly).
public func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
}
