/// Sizes a config may give, checked before anything is computed from them: a damaged or hostile
/// config.json (a number made huge) must be refused by name, not overflow a product or size an
/// allocation. The limits are far beyond any transformer trained (GPT-J-6B: 4096 wide, 28 layers).
enum ConfigBounds {
    static let width = 1 << 17, layers = 1 << 12, vocabulary = 1 << 24, positions = 1 << 24

    /// Each (key, value, limit) must lie in 1...limit.
    static func check(_ sizes: [(key: String, value: Int, limit: Int)]) throws {
        for (key, value, limit) in sizes where !(1...limit).contains(value) {
            throw ModelError.invalidConfig("\(key) \(value) is outside 1...\(limit)")
        }
    }
}
