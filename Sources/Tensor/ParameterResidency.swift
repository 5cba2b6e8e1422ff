/// Where parameters are sharded over ranks (ZeRO-3), which of them are in memory. `Parameters`
/// asks for each parameter before handing it out and gives a recomputed block's parameters back
/// once the block is done with them. Every rank makes the same calls in the same order (the
/// calls are collective).
public protocol ParameterResidency: AnyObject {
    /// Entry `index` of the store must hold its values (gathered from its owners if needed).
    func require(_ index: Int)
    /// The entries may be dropped until required again.
    func release(_ indices: [Int])
    /// `entry` was just written whole (initialisation): drop what this process does not keep.
    func settle(_ entry: ParameterStore.Entry)
}
