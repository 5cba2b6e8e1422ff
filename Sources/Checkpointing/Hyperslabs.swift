/// A rectangular block of a row-major array: `count[d]` indices from `start[d]` in each dimension.
struct Hyperslab: Equatable {
    var start: [Int]
    var count: [Int]
    var elements: Int { count.reduce(1, *) }
}

/// The fewest rectangular blocks that cover `range` of a row-major array of `shape`, in order:
/// their elements, block after block and each in row-major order, are the range's. A flat range
/// of a matrix is at most a partial first row, whole rows and a partial last row.
func hyperslabs(covering range: Range<Int>, of shape: [Int]) -> [Hyperslab] {
    guard !range.isEmpty else { return [] }
    guard shape.count > 1 else { return [Hyperslab(start: [range.lowerBound], count: [range.count])] }
    let inner = Array(shape.dropFirst())
    let rowSize = inner.reduce(1, *)
    var slabs: [Hyperslab] = []
    var lower = range.lowerBound
    func rows(_ row: Int, _ part: Range<Int>) {
        slabs += hyperslabs(covering: part, of: inner).map { Hyperslab(start: [row] + $0.start, count: [1] + $0.count) }
    }
    if lower % rowSize != 0 {
        let row = lower / rowSize, end = min(range.upperBound, (row + 1) * rowSize)
        rows(row, (lower - row * rowSize)..<(end - row * rowSize))
        lower = end
    }
    let wholeRows = (range.upperBound - lower) / rowSize
    if wholeRows > 0 {
        slabs.append(Hyperslab(start: [lower / rowSize] + inner.map { _ in 0 }, count: [wholeRows] + inner))
        lower += wholeRows * rowSize
    }
    if lower < range.upperBound { rows(lower / rowSize, 0..<(range.upperBound - lower)) }
    return slabs
}
