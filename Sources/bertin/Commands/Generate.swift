import ArgumentParser
import CheckpointedModels
import Checkpointing
import Foundation
import Kernels
import Models
import Tokenization

/// Continues a prompt with a causal LM and a key/value cache.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue a prompt with a causal LM (GPT-J), greedy or sampled, and print one JSON line.",
        discussion: """
            bertin generate --checkpoint C.h5 --ids "1 2 3" --max-new-tokens N     → {"ids": [new tokens]}
            bertin generate --checkpoint C.h5 --tokenizer DIR "text"               → {"ids": [...], "text": "..."}
            Greedy by default (transformers' generate(do_sample=False)); --temperature > 0 samples, with \
            --top-k / --top-p and --seed. Stops at --max-new-tokens or the end-of-text token when a tokenizer is given.
            """)

    @Option(help: "The checkpoint (a causal LM).") var checkpoint: String
    @Option(help: "Prompt token ids, separated by spaces.") var ids: String?
    @Option(help: "Tokenizer folder: the prompt is text, and the new tokens are decoded.") var tokenizer: String?
    @Option(name: .customLong("max-new-tokens")) var maxNewTokens = 20
    @Option(help: "0 for greedy; above 0 samples at this temperature.") var temperature: Float = 0
    @Option(name: .customLong("top-k")) var topK: Int?
    @Option(name: .customLong("top-p")) var topP: Float?
    @Option var seed: UInt64 = 0
    @Option(help: "Threads for the kernels and OpenBLAS (default: all cores, or BERTIN_THREADS).") var threads: Int?
    @Argument(help: "The prompt text (with --tokenizer).") var text: String?

    func validate() throws {
        guard (ids == nil) != (text == nil) else { throw ValidationError("give either --ids or a prompt text (with --tokenizer)") }
        guard text == nil || tokenizer != nil else { throw ValidationError("a prompt text needs --tokenizer") }
        guard maxNewTokens > 0, temperature >= 0, (topP ?? 1) > 0 else { throw ValidationError("--max-new-tokens must be positive, --temperature ≥ 0, --top-p > 0") }
    }

    func run() throws {
        ComputeThreads.configure(threads: threads)
        let bpe = try tokenizer.map { try BPETokenizer(directory: $0) }
        let prompt: [Int32]
        if let text, let bpe { prompt = bpe.encode(text, addSpecialTokens: false) } else {
            prompt = try (ids ?? "").split(whereSeparator: \.isWhitespace).map { word in
                guard let id = Int32(word) else { throw ValidationError("--ids: \"\(word)\" is not a token id") }
                return id
            }
        }
        let loaded = try ModelRegistry.load(checkpoint: checkpoint)
        guard let model = loaded.model as? any CausalGeneration else {
            throw ValidationError("\(checkpoint) holds a \(loaded.model.modelType) model, which does not generate (use bertin fill-mask)")
        }
        if let bad = prompt.first(where: { !(0..<Int32(model.vocabularySize)).contains($0) }) {
            throw ValidationError("token \(bad) is outside the model's vocabulary 0..<\(model.vocabularySize)")
        }
        let sampler = TokenSampler(temperature: temperature, topK: topK, topP: topP, seed: seed)
        let stop = bpe?.documentEndID
        let started = Date()
        let generated = try loaded.parameters.value { p in
            try model.generate(p, prompt: prompt, maxNewTokens: maxNewTokens, sampler: sampler, stopToken: stop)
        }
        let seconds = Date().timeIntervalSince(started)
        var line = "{\"ids\": [\(generated.map(String.init).joined(separator: ", "))]"
        if let bpe { line += ", \"text\": " + (try jsonString(try bpe.decode(generated))) }
        print(line + String(format: ", \"seconds\": %.3f}", seconds))
    }
}
