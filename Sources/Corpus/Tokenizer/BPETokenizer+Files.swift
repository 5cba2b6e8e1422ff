import Foundation

extension BPETokenizer {
    /// Loads `tokenizer.json` if the folder has one, else `vocab.json` + `merges.txt` (with RoBERTa's
    /// five special tokens taken from the vocabulary).
    public convenience init(directory: String) throws {
        let folder = URL(fileURLWithPath: directory)
        let combined = folder.appendingPathComponent("tokenizer.json").path
        if FileManager.default.fileExists(atPath: combined) {
            try self.init(tokenizerJSON: combined)
            return
        }
        let vocabPath = folder.appendingPathComponent("vocab.json").path, mergesPath = folder.appendingPathComponent("merges.txt").path
        guard let vocabData = FileManager.default.contents(atPath: vocabPath) else {
            throw CorpusError.unreadableFile(path: vocabPath, reason: "cannot read the file (missing?); a tokenizer folder holds tokenizer.json or vocab.json + merges.txt")
        }
        guard let vocabulary = try? JSONDecoder().decode([String: Int32].self, from: vocabData) else {
            throw CorpusError.invalidInput(path: vocabPath, reason: "is not a JSON object of token → id")
        }
        guard let mergesText = try? String(contentsOfFile: mergesPath, encoding: .utf8) else {
            throw CorpusError.unreadableFile(path: mergesPath, reason: "cannot read the file (missing, or not UTF-8?)")
        }
        var merges: [(String, String)] = []
        for (number, line) in mergesText.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix("#version") || line.isEmpty { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw CorpusError.invalidInput(path: mergesPath, reason: "line \(number + 1) is not two tokens separated by one space") }
            merges.append((String(parts[0]), String(parts[1])))
        }
        var special: [String: Int32] = [:]
        for token in Self.robertaSpecialTokens { if let id = vocabulary[token] { special[token] = id } }
        try self.init(vocabulary: vocabulary, merges: merges, specialTokens: special, source: directory)
    }

    /// HuggingFace `tokenizer.json` with a BPE model (merges as "a b" strings or [a, b] pairs).
    convenience init(tokenizerJSON path: String) throws {
        func fail(_ reason: String) -> CorpusError { .invalidInput(path: path, reason: reason) }
        guard let data = FileManager.default.contents(atPath: path),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw fail("is not a JSON object") }
        guard let model = root["model"] as? [String: Any], (model["type"] as? String) == "BPE",
              let vocabulary = model["vocab"] as? [String: Int], let rawMerges = model["merges"] as? [Any] else {
            throw fail("has no BPE model with vocab and merges")
        }
        let merges: [(String, String)] = try rawMerges.map { entry in
            if let pair = entry as? [String], pair.count == 2 { return (pair[0], pair[1]) }
            if let text = entry as? String {
                let parts = text.split(separator: " ", omittingEmptySubsequences: false)
                if parts.count == 2 { return (String(parts[0]), String(parts[1])) }
            }
            throw fail("merge \(entry) is neither \"a b\" nor [a, b]")
        }
        var special: [String: Int32] = [:]
        for case let token as [String: Any] in root["added_tokens"] as? [Any] ?? [] {
            if let content = token["content"] as? String, let id = token["id"] as? Int, token["special"] as? Bool ?? true { special[content] = Int32(id) }
        }
        var ids = vocabulary.mapValues { Int32($0) }
        for (token, id) in special { ids[token] = id }
        try self.init(vocabulary: ids, merges: merges, specialTokens: special, source: path)
    }

    /// Writes `vocab.json`, `merges.txt` and the `tokenizer_config.json`/`special_tokens_map.json`
    /// that let `AutoTokenizer.from_pretrained(directory)` load a RoBERTa tokenizer.
    public func save(to directory: String) throws {
        let folder = URL(fileURLWithPath: directory)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let special = Dictionary(uniqueKeysWithValues: specialTokens.map { ($1, $0) })
        func text(_ id: Int32) -> String {
            if let name = special[id] { return name }
            var string = String.UnicodeScalarView()
            for byte in tokens[Int(id)] { string.append(byteToCharacter[Int(byte)]) }
            return String(string)
        }
        var vocabulary: [String: Int32] = [:]
        for id in 0..<Int32(tokens.count) { vocabulary[text(id)] = id }
        let vocabData = try JSONSerialization.data(withJSONObject: vocabulary, options: [.sortedKeys])
        try vocabData.write(to: folder.appendingPathComponent("vocab.json"), options: .atomic)
        let merges = ["#version: 0.2"] + mergeList.map { "\(text($0.0)) \(text($0.1))" }
        try (merges.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("merges.txt"), atomically: true, encoding: .utf8)
        let config = """
            {"tokenizer_class": "RobertaTokenizer", "model_max_length": 512, "add_prefix_space": false, "errors": "replace",
             "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>", "unk_token": "<unk>",
             "pad_token": "<pad>", "mask_token": "<mask>"}

            """
        try config.write(to: folder.appendingPathComponent("tokenizer_config.json"), atomically: true, encoding: .utf8)
    }
}
