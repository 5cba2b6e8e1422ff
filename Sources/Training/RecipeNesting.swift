import Foundation

/// A recipe is a few levels deep; a file nested thousands of levels (a damaged or hostile one)
/// would overflow the YAML parser's recursion, which ends the process instead of refusing the
/// file. So the nesting is measured first, without parsing: flow brackets outside quotes, and
/// block sequence dashes or indentation within one line. Aliases, which let a small file expand
/// to any size, are refused in the same pass.
enum RecipeNesting {
    static let limit = 64

    static func check(_ text: String, source: String) throws {
        var depth = 0, deepest = 0, quote: UInt8? = nil
        // The YAML parser (libyaml, YAML 1.1) breaks lines at CR, LF, NEL, LS and PS: a lone CR
        // inside a comment starts a line it reads, so every one of them starts a line here too.
        var lines = text
        for breakCharacter in ["\r\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"] { lines = lines.replacingOccurrences(of: breakCharacter, with: "\n") }
        for line in lines.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            var blockLevel = 0, index = line.startIndex
            // Leading spaces and "- " / "? " markers each open a level of block structure.
            while index < line.endIndex, line[index] == UInt8(ascii: " ") || line[index] == UInt8(ascii: "-") || line[index] == UInt8(ascii: "?") {
                blockLevel += 1
                index = line.index(after: index)
            }
            if blockLevel / 2 > limit { throw TrainingError.invalidRecipe("\(source): nested more than \(limit) levels deep") }
            var previous = UInt8(ascii: " ")
            scan: for byte in line {
                defer { previous = byte }
                if let open = quote {
                    if byte == open { quote = nil }
                    continue
                }
                switch byte {
                // A quote opens a quoted scalar only where a scalar starts: YAML reads a quote inside a
                // word (an apostrophe, `a"b`) as a plain character, so it must not hide what follows.
                case UInt8(ascii: "\"") where scalarStarts(after: previous), UInt8(ascii: "'") where scalarStarts(after: previous): quote = byte
                // YAML's comment starts at a # after whitespace (or at the line's start); nothing after it nests.
                case UInt8(ascii: "#") where previous == UInt8(ascii: " ") || previous == UInt8(ascii: "\t"): break scan
                // An alias repeats a node: ten levels of ten aliases make the parser build 10^10
                // values (a "billion laughs" ran us out of memory). Recipes need none.
                case UInt8(ascii: "*") where scalarStarts(after: previous):
                    throw TrainingError.invalidRecipe("\(source): uses a YAML alias (*name); recipes are read without anchors and aliases")
                case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1; deepest = max(deepest, depth)
                case UInt8(ascii: "]"), UInt8(ascii: "}"): depth = max(0, depth - 1)
                default: continue
                }
            }
            quote = nil  // a quoted scalar of these recipes never spans lines
        }
        if deepest > limit { throw TrainingError.invalidRecipe("\(source): nested more than \(limit) levels deep") }
    }

    static func scalarStarts(after previous: UInt8) -> Bool { Array(" \t[{,:".utf8).contains(previous) }
}
