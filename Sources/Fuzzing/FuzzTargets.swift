import Checkpointing
import Corpus
import CorpusIO
import Downstream
import Foundation
import Interop
import NGram
import Optimization
import Tensor
import Tokenization
import Training

/// Every parser of a file a user hands us, as a fuzz target. Seeds are committed files: the test
/// fixtures (as transformers, tokenizers, kenlm and h5py wrote them) and small hand-made ones in
/// Scripts/fuzz/seeds.
public enum FuzzTargets {
    public static let all: [FuzzTarget] = [
        FuzzTarget(name: "safetensors", seeds: ["Tests/ModelsTests/Fixtures/tiny-roberta/model.safetensors",
                                               "Tests/ModelsTests/Fixtures/tiny-gptj-sharded/model-00002-of-00002.safetensors"],
                   fileName: "model.safetensors") { path, _ in
            let file = try SafeTensorsFile(path: path)
            for name in file.tensors.keys.sorted() where try file.info(name).dtype != "I64" { _ = try file.floats(name) }
        },
        FuzzTarget(name: "transformers-directory", seeds: ["Tests/ModelsTests/Fixtures/tiny-roberta/model.safetensors"],
                   fileName: "model.safetensors", companions: ["Tests/ModelsTests/Fixtures/tiny-roberta/config.json"]) { _, folder in
            _ = try TransformersDirectory.load(directory: folder)
        },
        FuzzTarget(name: "flax-parameters", seeds: ["Tests/ModelsTests/Fixtures/flax-roberta/checkpoint-2/flax_model.msgpack",
                                                   "Tests/ModelsTests/Fixtures/flax-roberta/pretrained-bf16/flax_model.msgpack"],
                   fileName: "flax_model.msgpack", companions: ["Tests/ModelsTests/Fixtures/flax-roberta/checkpoint-2/config.json"]) { _, folder in
            _ = try FlaxConversion.load(directory: folder)
        },
        FuzzTarget(name: "flax-optimizer-state", seeds: ["Tests/ModelsTests/Fixtures/flax-roberta/checkpoint-2/optimizer_state.msgpack"],
                   fileName: "optimizer_state.msgpack", companions: ["Tests/ModelsTests/Fixtures/flax-roberta/checkpoint-2/config.json",
                                                                     "Tests/ModelsTests/Fixtures/flax-roberta/checkpoint-2/flax_model.msgpack"]) { _, folder in
            _ = try FlaxConversion.load(directory: folder)
        },
        FuzzTarget(name: "npz", seeds: ["Tests/ModelsTests/Fixtures/mtj-gptj/step_7/shard_0/0.npz", "Tests/ModelsTests/Fixtures/mtj-gptj/step_7/shard_1/15.npz",
                                       "Tests/ModelsTests/Fixtures/mtj-gptj-slim/step_7/shard_0/3.npz"], fileName: "0.npz") { path, _ in
            let archive = try NumpyArchive(path: path)
            for array in archive.arrays {
                if array.descr.hasPrefix("<i") || array.descr == "<u4" { if array.count == 1 { _ = try archive.integer(array) } } else { _ = try archive.floats(array) }
            }
        },
        FuzzTarget(name: "config.json", seeds: ["Tests/ModelsTests/Fixtures/tiny-roberta/config.json", "Tests/ModelsTests/Fixtures/tiny-gptj/config.json"],
                   fileName: "config.json", companions: ["Tests/ModelsTests/Fixtures/tiny-roberta/model.safetensors"]) { _, folder in
            _ = try TransformersDirectory.load(directory: folder)
        },
        FuzzTarget(name: "tokenizer.json", seeds: ["Tests/CorpusTests/Fixtures/tokenizer-gpt2/tokenizer.json"], fileName: "tokenizer.json") { _, folder in
            try exercise(try BPETokenizer(directory: folder))
        },
        FuzzTarget(name: "vocab.json", seeds: ["Tests/CorpusTests/Fixtures/tokenizer-gpt2/vocab.json"], fileName: "vocab.json",
                   companions: ["Tests/CorpusTests/Fixtures/tokenizer-gpt2/merges.txt"]) { _, folder in
            try exercise(try BPETokenizer(directory: folder))
        },
        FuzzTarget(name: "merges.txt", seeds: ["Tests/CorpusTests/Fixtures/tokenizer-gpt2/merges.txt"], fileName: "merges.txt",
                   companions: ["Tests/CorpusTests/Fixtures/tokenizer-gpt2/vocab.json"]) { _, folder in
            try exercise(try BPETokenizer(directory: folder))
        },
        FuzzTarget(name: "recipe", seeds: ["Recipes/tiny-smoke.yaml", "Recipes/tiny-gptj-smoke.yaml", "Recipes/bertin-base-gaussian.yaml"],
                   fileName: "recipe.yaml") { path, _ in
            let (recipe, _) = try Recipe.load(path: path)
            try recipe.validate(ranks: 1)
        },
        FuzzTarget(name: "checkpoint", seeds: ["Tests/CheckpointingTests/Fixtures/h5py-written.h5"], fileName: "step-00000003.h5") { path, _ in
            let store = try ParameterStore(layout: [("layer.weight", [2, 3]), ("layer.bias", [3])], roles: [.weight, .bias])
            let optimizer = try AdamW(configuration: AdamWConfiguration(schedule: .constant(0)), parameters: store)
            _ = try Checkpoint.read(from: path, into: store, optimizer: optimizer)
        },
        FuzzTarget(name: "arpa", seeds: ["Tests/CorpusTests/Fixtures/kenlm/srilm-pruned.arpa"], fileName: "lm.arpa") { path, _ in
            try exercise(try NGramModel(path: path))
        },
        FuzzTarget(name: "arpa.gz", seeds: ["Tests/CorpusTests/Fixtures/kenlm/sample-5gram.arpa.gz"], fileName: "lm.arpa.gz") { path, _ in
            try exercise(try NGramModel(path: path))
        },
        FuzzTarget(name: "kenlm-binary", seeds: ["Tests/CorpusTests/Fixtures/kenlm/srilm-pruned.probing.bin", "Tests/CorpusTests/Fixtures/kenlm/sample-5gram.trie.bin",
                                                "Tests/CorpusTests/Fixtures/kenlm/sample-5gram.quant-array-trie.bin"],
                   fileName: "lm.bin") { path, _ in
            try exercise(try NGramModel(path: path))
        },
        FuzzTarget(name: "token-rows-index", seeds: ["Scripts/fuzz/seeds/rows/index.json"], fileName: "index.json",
                   companions: ["Scripts/fuzz/seeds/rows/train-00000-0000.u16"]) { _, folder in
            try exercise(try TokenRows(directory: folder, split: "train"))
        },
        FuzzTarget(name: "token-rows-shard", seeds: ["Scripts/fuzz/seeds/rows/train-00000-0000.u16"], fileName: "train-00000-0000.u16",
                   companions: ["Scripts/fuzz/seeds/rows/index.json"]) { _, folder in
            try exercise(try TokenRows(directory: folder, split: "train"))
        },
        FuzzTarget(name: "corpus-jsonl", seeds: ["Scripts/fuzz/seeds/corpus/c4-es.json"], fileName: "c4-es.json") { path, _ in
            try readCorpus(path)
        },
        FuzzTarget(name: "corpus-gzip", seeds: ["Scripts/fuzz/seeds/corpus/c4-es.json.gz"], fileName: "c4-es.json.gz") { path, _ in
            try readCorpus(path)
        },
        FuzzTarget(name: "conll", seeds: ["Scripts/fuzz/seeds/downstream/ner.conll"], fileName: "ner.conll") { path, _ in
            _ = try TaggedFile(path: path)
        },
        FuzzTarget(name: "conllu", seeds: ["Scripts/fuzz/seeds/downstream/pos.conllu"], fileName: "pos.conllu") { path, _ in
            _ = try TaggedFile(path: path)
        },
        FuzzTarget(name: "classification-jsonl", seeds: ["Scripts/fuzz/seeds/downstream/docs.jsonl"], fileName: "docs.jsonl") { path, _ in
            _ = try TextClassificationFile(path: path)
        },
    ]

    /// Uses what was read, so a parser that accepted garbage cannot leave it for later to trip on.
    static func exercise(_ tokenizer: BPETokenizer) throws {
        let ids = tokenizer.encode("El perro de San Roque ¿no tiene rabo? ñ 😀", addSpecialTokens: true)
        _ = try tokenizer.decode(ids)
    }

    static func exercise(_ model: NGramModel) throws {
        _ = model.score("el perro de san roque no tiene rabo")
        _ = model.fullScores("porque ramón ramírez se lo ha cortado")
    }

    static func exercise(_ rows: TokenRows) throws {
        for index in 0..<rows.count { _ = rows.row(index) }
    }

    static func readCorpus(_ path: String) throws {
        var reader = CorpusReader(files: [path])
        reader.warn = { _ in }
        _ = try reader.forEachDocument { _ in }
    }
}
