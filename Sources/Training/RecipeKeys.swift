import Models

/// The keys a recipe may use. An unknown key (a typo such as `keep_checkpoint`, or a feature that
/// does not exist) is an error naming its path and the nearest known key: silently ignoring it
/// would make the run differ from what the user wrote.
enum RecipeKeys {
    static let top = Recipe.CodingKeys.allCases.map(\.rawValue)
    static let optimizer = Recipe.OptimizerSection.CodingKeys.allCases.map(\.rawValue)
    static let phase = Recipe.Phase.CodingKeys.allCases.map(\.rawValue)

    /// Throws on the first unknown key of `tree` (the parsed YAML), naming `source`.
    static func check(_ tree: Any, source: String) throws {
        guard let root = tree as? [String: Any] else { return }
        try check(root, known: top, path: "", source: source)
        if let optimizerSection = root["optimizer"] as? [String: Any] {
            try check(optimizerSection, known: optimizer, path: "optimizer.", source: source)
        }
        for (index, element) in (root["phases"] as? [Any] ?? []).enumerated() {
            if let phaseSection = element as? [String: Any] { try check(phaseSection, known: phase, path: "phases.\(index).", source: source) }
        }
        if let model = root["model"] as? [String: Any] {
            let type = model["type"] as? String ?? ModelRegistry.defaultModelType
            guard let family = ModelRegistry.families[type] else {
                throw TrainingError.invalidRecipe("\(source): model.type: \"\(type)\" is not one of \(ModelRegistry.families.keys.sorted().joined(separator: ", "))")
            }
            try check(model, known: ["type"] + family.recipeKeys, path: "model.", source: source)
        }
    }

    static func check(_ mapping: [String: Any], known: [String], path: String, source: String) throws {
        for key in mapping.keys.sorted() where !known.contains(key) {
            let hint = nearest(key, in: known).map { " (did you mean \($0)?)" } ?? " (known: \(known.sorted().joined(separator: ", ")))"
            throw TrainingError.invalidRecipe("\(source): unknown key \(path)\(key)\(hint)")
        }
    }

    /// The known key `key` was most likely meant as: the closest by edits when few edits make it
    /// (`keep_checkpoint` → `keep_checkpoints`), else one that starts with it (`warmup` → `warmup_steps`).
    static func nearest(_ key: String, in known: [String]) -> String? {
        if let closest = known.min(by: { distance(key, $0) < distance(key, $1) }), distance(key, closest) <= max(2, key.count / 3) { return closest }
        return known.filter { $0.hasPrefix(key) }.min { $0.count < $1.count }
    }

    /// Levenshtein distance between two keys.
    static func distance(_ a: String, _ b: String) -> Int {
        let (a, b) = (Array(a), Array(b))
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
