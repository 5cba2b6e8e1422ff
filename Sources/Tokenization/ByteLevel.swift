/// GPT-2's byte-level alphabet and pre-tokenizer, as HuggingFace tokenizers' `ByteLevel` applies them.

/// Byte → printable character: printable Latin-1 bytes map to themselves, the other 68 bytes
/// to U+0100 + n in byte order (so a space is "Ġ", a newline "Ċ"). Vocabulary files use these characters.
public let byteToCharacter: [Unicode.Scalar] = {
    var printable = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
    var table = [Unicode.Scalar](repeating: " ", count: 256)
    var extra = 0
    for byte in 0..<256 {
        if printable.contains(byte) {
            table[byte] = Unicode.Scalar(UInt32(byte))!
        } else {
            table[byte] = Unicode.Scalar(UInt32(0x100 + extra))!
            extra += 1
        }
    }
    printable.removeAll()
    return table
}()

/// The inverse of `byteToCharacter`.
public let characterToByte: [Unicode.Scalar: UInt8] = {
    var table: [Unicode.Scalar: UInt8] = [:]
    for (byte, scalar) in byteToCharacter.enumerated() { table[scalar] = UInt8(byte) }
    return table
}()

/// A vocabulary entry's characters back to the bytes they stand for (nil if one is not in the alphabet).
func bytes(ofTokenText text: String) -> [UInt8]? {
    var result: [UInt8] = []
    for scalar in text.unicodeScalars {
        guard let byte = characterToByte[scalar] else { return nil }
        result.append(byte)
    }
    return result
}

/// GPT-2's pre-tokenizer regex, `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
/// matched by hand over Unicode scalars (same alternatives, same order, same backtracking of the
/// whitespace rule), returning each piece's UTF-8 bytes.
public func gpt2PreTokenize(_ text: Substring) -> [[UInt8]] {
    let scalars = Array(text.unicodeScalars)
    let n = scalars.count
    var pieces: [[UInt8]] = []
    func emit(_ range: Range<Int>) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(range.count * 2)
        for scalar in scalars[range] { bytes.append(contentsOf: UTF8.encode(scalar)!) }
        pieces.append(bytes)
    }
    var i = 0
    while i < n {
        let c = scalars[i]
        if c == "'", i + 1 < n {
            let next = scalars[i + 1]
            if next == "s" || next == "t" || next == "m" || next == "d" { emit(i..<(i + 2)); i += 2; continue }
            if i + 2 < n {
                let pair = (next, scalars[i + 2])
                if pair == ("r", "e") || pair == ("v", "e") || pair == ("l", "l") { emit(i..<(i + 3)); i += 3; continue }
            }
        }
        let start = (c == " " && i + 1 < n) ? i + 1 : i
        let first = scalars[start]
        let kind = CharacterKind(first)
        if kind != .whitespace {
            var j = start + 1
            while j < n, CharacterKind(scalars[j]) == kind { j += 1 }
            emit(i..<j)
            i = j
            continue
        }
        var j = i + 1
        while j < n, CharacterKind(scalars[j]) == .whitespace { j += 1 }
        if j < n, j - i > 1 { j -= 1 }  // \s+(?!\S): leave the last space to the word that follows
        emit(i..<j)
        i = j
    }
    return pieces
}

/// The classes the regex distinguishes: \p{L}, \p{N}, \s (Unicode White_Space) and everything else.
enum CharacterKind: Equatable {
    case letter, number, whitespace, other

    @inline(__always)
    init(_ scalar: Unicode.Scalar) {
        if scalar.value < 0x80 {
            switch scalar.value {
            case 0x41...0x5A, 0x61...0x7A: self = .letter
            case 0x30...0x39: self = .number
            case 0x09...0x0D, 0x20: self = .whitespace
            default: self = .other
            }
            return
        }
        let properties = scalar.properties
        if properties.isWhitespace { self = .whitespace; return }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: self = .letter
        case .decimalNumber, .letterNumber, .otherNumber: self = .number
        default: self = .other
        }
    }
}
