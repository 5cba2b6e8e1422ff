import Kernels

/// Whether dropout is on. Training names the key its masks come from (one per step and device);
/// a model uses streams `key.stream ..< key.stream + dropoutSiteCount`, one per dropout site.
public enum ForwardMode: Sendable {
    case evaluation
    case training(dropoutKey: RandomKey)
}
