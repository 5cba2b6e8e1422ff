import Kernels

extension RandomStream {
    /// Masked-LM masking of micro-batch `micro`: `masking + micro`.
    public static let masking = 0xC011
}
