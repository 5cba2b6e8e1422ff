/// A short account of how two float arrays differ: how many values are off, the worst few and
/// the largest distance in ulps. Test failures print this, never whole arrays (a 400 KB dump of
/// value pairs hides the one number that matters).
public struct FloatDifferences: CustomStringConvertible, Sendable {
    public let compared: Int
    /// Indices of values outside their tolerance (or not bit-equal when none is given).
    public let differing: Int
    /// The worst few: index, actual, expected, and how far outside the tolerance (ratio, 1 = at it).
    public let worst: [(index: Int, actual: Float, expected: Float, excess: Double)]
    public let largestUlps: UInt32
    let countMismatch: (Int, Int)?

    /// Bitwise when `tolerance` is nil; else a value is off when |actual − expected| > tolerance(index).
    public init(actual: [Float], expected: [Float], tolerance: ((Int) -> Double)? = nil, show: Int = 5) {
        guard actual.count == expected.count else {
            compared = 0; differing = max(actual.count, expected.count); worst = []; largestUlps = .max
            countMismatch = (actual.count, expected.count)
            return
        }
        countMismatch = nil
        compared = actual.count
        var off: [(index: Int, actual: Float, expected: Float, excess: Double)] = []
        var ulps: UInt32 = 0
        for index in actual.indices {
            let (a, e) = (actual[index], expected[index])
            let distance = Self.ulps(a, e)
            ulps = max(ulps, distance)
            let excess: Double
            if let tolerance {
                let bound = tolerance(index)
                let error = abs(Double(a) - Double(e))
                guard !(error <= bound) else { continue }
                excess = bound > 0 ? error / bound : .infinity
            } else {
                guard a.bitPattern != e.bitPattern else { continue }
                excess = Double(distance)
            }
            off.append((index, a, e, excess.isNaN ? .infinity : excess))
        }
        differing = off.count
        worst = Array(off.sorted { $0.excess > $1.excess }.prefix(show))
        largestUlps = ulps
    }

    public var isEmpty: Bool { differing == 0 }

    public var description: String {
        if let (a, e) = countMismatch { return "sizes differ: \(a) values against \(e)" }
        guard differing > 0 else { return "all \(compared) values agree (largest difference \(largestUlps) ulps)" }
        let shown = worst.map { "[\($0.index)] \($0.actual) vs \($0.expected)" + ($0.excess.isFinite ? String(format: " (%.3g×)", $0.excess) : "") }
        return "\(differing) of \(compared) values differ, largest difference \(largestUlps) ulps; worst: " + shown.joined(separator: ", ")
    }

    /// Distance between two floats in units in the last place (NaN against anything: the maximum).
    public static func ulps(_ a: Float, _ b: Float) -> UInt32 {
        if a.isNaN || b.isNaN { return a.bitPattern == b.bitPattern ? 0 : .max }
        func ordered(_ x: Float) -> Int64 {
            let bits = Int64(x.bitPattern & 0x7FFF_FFFF)
            return x.sign == .minus ? -bits : bits
        }
        return UInt32(min(Int64(UInt32.max), abs(ordered(a) - ordered(b))))
    }
}
