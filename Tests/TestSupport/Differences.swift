/// How many elements of two arrays differ, where arrays of different lengths differ in every
/// position of the longer: a comparison through `zip` alone would pass a truncated array.
public func differingElements<T: Equatable>(_ a: [T], _ b: [T]) -> Int {
    guard a.count == b.count else { return max(a.count, b.count) }
    return zip(a, b).filter { $0.0 != $0.1 }.count
}

/// As `differingElements`, on bit patterns: NaN equals NaN of the same bits, and -0 differs from +0.
public func differingBits(_ a: [Float], _ b: [Float]) -> Int {
    differingElements(a.map(\.bitPattern), b.map(\.bitPattern))
}
