/// A recipe is a few levels deep; a file nested thousands of levels (a damaged or hostile one)
/// would overflow the YAML parser's recursion, which ends the process instead of refusing the
/// file. So the nesting is measured first, without parsing: flow brackets outside quotes, and
/// block sequence dashes or indentation within one line.
enum RecipeNesting {
    static let limit = 64

    static func check(_ text: String, source: String) throws {
        var depth = 0, deepest = 0, quote: UInt8? = nil
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
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
