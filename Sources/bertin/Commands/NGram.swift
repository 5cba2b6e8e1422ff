import ArgumentParser
import CorpusIO
import Foundation
import NGram

/// n-gram language model files: convert an ARPA file once into kenlm's binary form.
struct NGramCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ngram",
        abstract: "Work with n-gram language models (ARPA and KenLM binary files).",
        subcommands: [BuildBinary.self, Info.self])

    struct BuildBinary: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "build-binary",
            abstract: "Convert an ARPA file (plain or .gz) into KenLM's probing binary form, as `build_binary probing` does.",
            discussion: """
                The output is what KenLM's build_binary writes with its defaults (probing multiplier 1.5, \
                vocabulary included), byte for byte: kenlm, its Python module and `bertin perplexity/sample --model` \
                load it by mmap in constant time. Written to a temporary file and renamed when complete.
                """)

        @Argument(help: "ARPA file (plain or .gz).")
        var arpa: String

        @Argument(help: "Binary file to write.")
        var output: String

        func run() throws {
            let started = Date()
            let model = try NGramModel(arpaPath: arpa)
            let loaded = Date()
            try model.writeProbingBinary(to: output)
            let total = model.counts.reduce(0, +)
            print("{\"order\": \(model.order), \"ngrams\": \(total), \"read_seconds\": \(String(format: "%.3f", loaded.timeIntervalSince(started))), \"written_bytes\": \(fileSize(output)), \"output\": \"\(output)\"}")
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a model's form, order and n-gram counts as one JSON line.")

        @Argument(help: "ARPA or KenLM binary file.")
        var model: String

        func run() throws {
            let loaded = try NGramModel(path: model)
            print("{\"form\": \"\(loaded.form.rawValue)\", \"order\": \(loaded.order), \"counts\": \(loaded.counts)}")
        }
    }
}
