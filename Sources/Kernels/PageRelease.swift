import Foundation

/// Sets `count` values at `pointer` to zero and gives the whole pages among them back to the
/// operating system (`MADV_DONTNEED` on private memory: they read as zero and take no memory until
/// written again). Sharded training uses it for the parts of the gradient buffers a rank no
/// longer needs, so its resident memory holds only its own shard between steps.
public func zeroReleasingPages<Element>(_ pointer: UnsafeMutablePointer<Element>, count: Int) {
    guard count > 0 else { return }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let start = Int(bitPattern: pointer), end = start + count * MemoryLayout<Element>.stride
    let firstPage = (start + page - 1) / page * page, lastPage = end / page * page
    guard firstPage < lastPage else {
        memset(pointer, 0, end - start)
        return
    }
    memset(pointer, 0, firstPage - start)
    memset(UnsafeMutableRawPointer(bitPattern: lastPage)!, 0, end - lastPage)
    if madvise(UnsafeMutableRawPointer(bitPattern: firstPage), lastPage - firstPage, MADV_DONTNEED) != 0 {
        memset(UnsafeMutableRawPointer(bitPattern: firstPage)!, 0, lastPage - firstPage)
    }
}
