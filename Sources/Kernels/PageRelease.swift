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

/// Asks for transparent huge pages (2 MiB) over the whole 2 MiB pages of a large buffer whose
/// pages are released and faulted in again every step (sharded gradients and parameters): one
/// fault per 2 MiB instead of per 4 KiB. A no-op where the kernel does not offer them.
public func adviseHugePages<Element>(_ pointer: UnsafeMutablePointer<Element>, count: Int) {
    let huge = 2 << 20
    let start = Int(bitPattern: pointer), end = start + count * MemoryLayout<Element>.stride
    let first = (start + huge - 1) / huge * huge, last = end / huge * huge
    guard first < last else { return }
    _ = madvise(UnsafeMutableRawPointer(bitPattern: first)!, last - first, MADV_HUGEPAGE)
}
