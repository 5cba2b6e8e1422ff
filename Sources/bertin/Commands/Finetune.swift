import ArgumentParser
import Distributed
import Finetuning
import Foundation
import Kernels
import Models
import Training

/// Fine-tuning a classification head on a pre-trained checkpoint, under mpirun or as a plain process.
struct Finetune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fine-tune a token or sequence classification head on a pre-trained checkpoint (NER, POS, MLDoc, PAWS-X, XNLI).",
        discussion: """
            Token classification reads CoNLL files (one `word ... TAG` line per word, a blank line between sentences, \
            -DOCSTART- ignored; --label-column picks the tag column, 0-based, default the last) or CoNLL-U (*.conllu: UPOS \
            by default). Sequence classification reads JSON lines {"text", "text_pair"?, "label"}. Labels are the distinct \
            labels of the training file, sorted (as run_ner/run_glue). Words are encoded as RobertaTokenizer(add_prefix_space=True) \
            with is_split_into_words does; the first sub-token of a word carries its label; sentences longer than --max-length \
            are cut into windows of whole words so every word is predicted. Defaults are BERTIN's (transformers' run_ner): 5 \
            epochs, batch 16, AdamW lr 5e-5, β 0.9/0.999, ε 1e-8, no weight decay, linear decay, no warmup, clipping at 1.0. \
            After every epoch the validation file is scored (seqeval entity F1 and token accuracy; accuracy and macro-F1); \
            OUTPUT gets best.h5 (by F1 or accuracy), final.h5, metrics.jsonl and tensorboard/. The last line printed is \
            the best epoch's metrics as JSON. Under mpirun the --devices replicas (default: one per rank) are spread over \
            the ranks; the same --devices gives the same model on any number of ranks.
            """)

    @Option(help: "token-classification or sequence-classification.")
    var task: String

    @Option(help: "The pre-trained checkpoint (bertin train, or bertin convert --from-hf).")
    var checkpoint: String

    @Option(help: "The tokenizer directory (tokenizer.json, or vocab.json + merges.txt).")
    var tokenizer: String

    @Option(help: "Training file.")
    var train: String

    @Option(help: "Validation file, scored after every epoch.")
    var validation: String

    @Option(help: "Output directory.")
    var output: String

    @Option var epochs = 5
    @Option(name: .customLong("batch-size"), help: "Examples per update, over all devices.")
    var batchSize = 16
    @Option(name: .customLong("learning-rate")) var learningRate: Float = 5e-5
    @Option(name: .customLong("max-length"), help: "Tokens per row, <s> and </s> included.")
    var maxLength = 128
    @Option(name: .customLong("warmup-ratio")) var warmupRatio = 0.0
    @Option(name: .customLong("weight-decay")) var weightDecay: Float = 0
    @Option var seed: UInt64 = 42
    @Option(name: .customLong("label-column"), help: "0-based column of the tag in CoNLL files (default: the last; CoNLL-U: UPOS).")
    var labelColumn: Int?
    @Option(help: "Replicas per update (default: the number of MPI ranks).")
    var devices: Int?
    @Option(help: "Threads per rank for the kernels and OpenBLAS (default: cores / ranks on this node, or BERTIN_THREADS).")
    var threads: Int?

    func validate() throws {
        guard ClassificationTask(rawValue: task) != nil else { throw ValidationError("--task is token-classification or sequence-classification") }
    }

    func run() throws {
        let runtime = MPIRuntime.shared
        configureThreads(threads)
        do {
            var options = FinetuningRun.Options(task: ClassificationTask(rawValue: task)!, checkpoint: checkpoint, tokenizer: tokenizer,
                                                train: train, validation: validation, output: output)
            (options.epochs, options.batchSize, options.learningRate, options.maxLength) = (epochs, batchSize, learningRate, maxLength)
            (options.warmupRatio, options.weightDecay, options.seed, options.labelColumn, options.devices) = (warmupRatio, weightDecay, seed, labelColumn, devices)
            let summary = try FinetuningRun(options: options, runtime: runtime, control: .process).run()
            if runtime.isMain {
                let data = try JSONSerialization.data(withJSONObject: summary.best, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            }
            runtime.finalize()
        } catch {
            runtime.abort("\(error)")
        }
    }
}

/// Kernel threads: `--threads`, else BERTIN_THREADS, else the node's cores shared by its ranks.
func configureThreads(_ threads: Int?) {
    let localRanks = Int(ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"] ?? "") ?? 1
    if let threads {
        ComputeThreads.configure(threads: threads)
    } else if ProcessInfo.processInfo.environment["BERTIN_THREADS"] == nil {
        ComputeThreads.configure(threads: max(1, ProcessInfo.processInfo.activeProcessorCount / localRanks))
    }
}
