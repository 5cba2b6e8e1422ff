import Foundation

/// CCNet's `text_normalizer.normalize` with its defaults (accent, case, numbers, punct=1), line by
/// line: strip surrounding whitespace, lowercase, canonical decomposition with nonspacing marks
/// dropped (CCNet never recomposes: "ñ" becomes "n"), every decimal digit to "0", CCNet's table of
/// Unicode punctuation to ASCII, C0/C1 control characters removed. CCNet then sentencepiece-tokenises
/// before scoring; that step is not reproduced here.
public func ccnetNormalize(_ line: String) -> String {
    let trimmed = line.unicodeScalars.drop(while: isPythonWhitespace).reversed().drop(while: isPythonWhitespace).reversed()
    guard !trimmed.isEmpty else { return "" }
    let decomposed = pythonLowercase(Array(trimmed)).decomposedStringWithCanonicalMapping
    var output = String.UnicodeScalarView()
    for scalar in decomposed.unicodeScalars {
        let category = scalar.properties.generalCategory
        if category == .nonspacingMark { continue }
        if category == .decimalNumber { output.append("0"); continue }
        if let replacement = ccnetPunctuation[scalar] { output.append(contentsOf: replacement.unicodeScalars); continue }
        if scalar.value < 32 || (127..<160).contains(scalar.value) { continue }
        output.append(scalar)
    }
    return String(output)
}

/// CCNet's UNICODE_PUNCT table.
let ccnetPunctuation: [Unicode.Scalar: String] = [
    "，": ",", "。": ".", "、": ",", "„": "\"", "”": "\"", "“": "\"", "«": "\"", "»": "\"", "１": "\"", "」": "\"",
    "「": "\"", "《": "\"", "》": "\"", "´": "'", "∶": ":", "：": ":", "？": "?", "！": "!", "（": "(", "）": ")",
    "；": ";", "–": "-", "—": " - ", "．": ". ", "～": "~", "’": "'", "…": "...", "━": "-", "〈": "<", "〉": ">",
    "【": "[", "】": "]", "％": "%", "►": "-",
]

/// Python's `str.lower()`: each scalar's full lowercase mapping, and capital sigma as final "ς" when
/// a cased letter precedes it and none follows (Unicode's Final_Sigma, which Swift's `lowercased()`
/// on Linux does not apply).
func pythonLowercase(_ scalars: [Unicode.Scalar]) -> String {
    var output = String.UnicodeScalarView()
    for (index, scalar) in scalars.enumerated() {
        if scalar == "\u{03A3}" {
            let before = scalars[..<index].reversed().first { !$0.properties.isCaseIgnorable }
            let after = scalars[(index + 1)...].first { !$0.properties.isCaseIgnorable }
            let final = (before?.properties.isCased ?? false) && !(after?.properties.isCased ?? false)
            output.append(final ? "\u{03C2}" : "\u{03C3}")
            continue
        }
        output.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
    }
    return String(output)
}
