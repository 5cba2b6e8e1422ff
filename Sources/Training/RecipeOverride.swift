import Foundation
import Yams

/// One `--set key.path=value` of `bertin train`: "phases.0.steps=20", "optimizer.weight_decay=0".
/// The value is a YAML scalar; `key=null` removes a key (its default applies) or a list element
/// (`phases.1=null` drops that phase). Applied to the parsed YAML tree before it is decoded, so
/// the resolved text stored in checkpoints shows the run as it ran.
struct RecipeOverride {
    let text: String
    let path: [String]
    let value: Any

    init(_ text: String) throws {
        guard let equals = text.firstIndex(of: "=") else { throw TrainingError.invalidRecipe("override \"\(text)\" is not key.path=value") }
        self.text = text
        path = text[..<equals].split(separator: ".").map(String.init)
        value = ((try? Yams.load(yaml: String(text[text.index(after: equals)...]))) ?? nil) ?? NSNull()
    }

    /// `tree` with the value set (or removed) at the path.
    func applied(to tree: Any) throws -> Any { try set(path[...], in: tree) }

    private func set(_ path: ArraySlice<String>, in node: Any) throws -> Any {
        guard let key = path.first else { return value }
        if var list = node as? [Any] {
            guard let index = Int(key), list.indices.contains(index) else {
                throw TrainingError.invalidRecipe("override \(text): \(key) is not an index of a \(list.count)-element list")
            }
            if path.count == 1, value is NSNull {
                list.remove(at: index)
                return list
            }
            list[index] = try set(path.dropFirst(), in: list[index])
            return list
        }
        var mapping = node as? [String: Any] ?? [:]
        if path.count == 1, value is NSNull {
            mapping.removeValue(forKey: key)
            return mapping
        }
        mapping[key] = try set(path.dropFirst(), in: mapping[key] ?? [String: Any]())
        return mapping
    }
}
