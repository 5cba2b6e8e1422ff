/// How mesh-transformer-jax kept a parameter of ours across its model shards (REFERENCE §11):
/// the haiku leaves it came from, and how each leaf's per-shard pieces make the whole.
public struct MeshTransformerSource: Sendable {
    public enum Split: Sendable {
        /// Each shard holds a slice of the last axis (column-parallel kernels, the vocab-parallel head).
        case lastAxis
        /// Each shard holds a slice of the first axis (row-parallel kernels, the vocab-parallel
        /// embedding, the column-parallel layers' bias pieces).
        case firstAxis
        /// Each shard holds a whole copy and the parameter is their sum, in shard order (a
        /// row-parallel layer's bias, added on every shard before the all-reduce).
        case summed
        /// Each shard holds a copy and shard 0's is the parameter (replicated LayerNorms: every
        /// shard reads shard 0's, so only it trains).
        case firstShard
    }

    public struct Leaf: Sendable, Hashable {
        /// The haiku module path ("causal_transformer_shard/~/layer_0/~/linear_4") and parameter ("w", "b", "scale", "offset").
        public let module: String
        public let name: String
        public let split: Split

        public init(_ module: String, _ name: String, _ split: Split) { (self.module, self.name, self.split) = (module, name, split) }
        public static func == (a: Leaf, b: Leaf) -> Bool { a.module == b.module && a.name == b.name }
        public func hash(into hasher: inout Hasher) { hasher.combine(module); hasher.combine(name) }
    }

    /// Leaves whose reconstructions add up to the parameter (the embedding: its table plus its
    /// bias, broadcast over the rows), the first one also giving the Adam moments.
    public let leaves: [Leaf]
    /// The reconstruction is haiku's `[in, out]` and the parameter transformers' `[out, in]`.
    public let transposed: Bool

    public init(_ leaves: [Leaf], transposed: Bool = false) { (self.leaves, self.transposed) = (leaves, transposed) }
}

/// A family that mesh-transformer-jax trained: every parameter of its layout has a source there.
public protocol MeshTransformerLayout {
    var meshTransformerSources: [String: MeshTransformerSource] { get }
}
