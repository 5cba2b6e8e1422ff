import Kernels

extension RandomStream {
    /// Dropout: a forward pass uses streams `dropoutBase + micro·sites ..< + sites`, one per site.
    public static let dropoutBase = 0
    /// Sampling in `bertin generate` (one draw per new token: the step counts tokens).
    public static let generation = 0x6E7E
}
