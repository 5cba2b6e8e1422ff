import CorpusIO
import Foundation

extension BPETokenizer {
    /// Loads `tokenizer.json` if the folder has one, else `vocab.json` + `merges.txt` (RoBERTa's five
    /// special tokens and GPT-2's `<|endoftext|>` taken from the vocabulary; the post-processor from
    /// `tokenizer_config.json`'s class when there is one: GPT2Tokenizer adds nothing).
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
        for token in Self.robertaSpecialTokens + [Self.endOfTextToken] { if let id = vocabulary[token] { special[token] = id } }
        var postProcessor: PostProcessor?
        if let data = FileManager.default.contents(atPath: folder.appendingPathComponent("tokenizer_config.json").path),
           let config = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let name = config["tokenizer_class"] as? String,
           name.hasPrefix("GPT2") {
            postProcessor = PostProcessor.none
        }
        try self.init(vocabulary: vocabulary, merges: merges, specialTokens: special, source: directory, postProcessor: postProcessor)
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
            if let content = token["content"] as? String, let id = token["id"] as? Int, token["special"] as? Bool ?? true {
                guard let id32 = Int32(exactly: id) else { throw fail("added token \"\(content)\" has id \(id), outside 32 bits") }
                special[content] = id32
            }
        }
        var ids: [String: Int32] = [:]
        for (token, id) in vocabulary {
            guard let id32 = Int32(exactly: id) else { throw fail("token \"\(token)\" has id \(id), outside 32 bits") }
            ids[token] = id32
        }
        for (token, id) in special { ids[token] = id }
        try self.init(vocabulary: ids, merges: merges, specialTokens: special, source: path,
                      postProcessor: try Self.postProcessor(root["post_processor"], special: special, path: path))
    }

    /// The post-processor of a `tokenizer.json`: RobertaProcessing, a TemplateProcessing that wraps
    /// a single sequence in two special tokens, or one that adds nothing (ByteLevel, none).
    static func postProcessor(_ value: Any?, special: [String: Int32], path: String) throws -> PostProcessor {
        guard let processor = value as? [String: Any], let type = processor["type"] as? String else { return .none }
        func id(_ pair: Any?) -> Int32? { (pair as? [Any])?.last.flatMap { $0 as? Int }.map(Int32.init) }
        switch type {
        case "RobertaProcessing", "BertProcessing":
            guard let begin = id(processor["cls"]), let end = id(processor["sep"]) else { break }
            return .roberta(begin: begin, end: end)
        case "ByteLevel":
            return .none
        case "TemplateProcessing":
            let single = (processor["single"] as? [[String: Any]]) ?? []
            let specials = single.compactMap { ($0["SpecialToken"] as? [String: Any])?["id"] as? String }
            if single.count == 1 { return .none }
            if single.count == 3, specials.count == 2, let begin = special[specials[0]], let end = special[specials[1]],
               single[1]["Sequence"] != nil {
                return .roberta(begin: begin, end: end)
            }
        default: break
        }
        throw CorpusError.invalidInput(path: path, reason: "post-processor \(type) is not supported (RobertaProcessing, ByteLevel or a <s> … </s> template)")
    }

    /// Writes `vocab.json`, `merges.txt` and the `tokenizer_config.json` that let
    /// `AutoTokenizer.from_pretrained(directory)` load it: a RobertaTokenizer, or a GPT2Tokenizer
    /// when the post-processor adds nothing.
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
        let config: String
        if case .roberta = postProcessor {
            config = """
                {"tokenizer_class": "RobertaTokenizer", "model_max_length": 512, "add_prefix_space": false, "errors": "replace",
                 "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>", "unk_token": "<unk>",
                 "pad_token": "<pad>", "mask_token": "<mask>"}

                """
        } else {
            let end = specialTokens[Self.endOfTextToken] != nil ? "\"\(Self.endOfTextToken)\"" : "null"
            config = """
                {"tokenizer_class": "GPT2Tokenizer", "model_max_length": 2048, "add_prefix_space": false, "errors": "replace",
                 "bos_token": \(end), "eos_token": \(end), "unk_token": \(end)}

                """
        }
        try config.write(to: folder.appendingPathComponent("tokenizer_config.json"), atomically: true, encoding: .utf8)
    }
}
