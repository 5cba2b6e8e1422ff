import Checkpointing
import Corpus
import Distributed
import Downstream
import Foundation
import Kernels
import Models
import Objectives
import Optimization
import Tensor

/// `bertin finetune`: a classification head on a pre-trained checkpoint, trained data-parallel like
/// pre-training (`devices` replicas over the MPI ranks, mean of per-device means, so every layout
/// gives the same bits), evaluated on the validation file after every epoch; rank 0 keeps the
/// best checkpoint by the task metric (`best.h5`) and the last (`final.h5`), logs metrics.jsonl and
/// TensorBoard. Defaults are transformers' run_ner / run_glue settings that BERTIN used
/// (REFERENCE.md §9): 5 epochs, batch 16, AdamW lr 5e-5 (β 0.9/0.999, ε 1e-8, no weight decay),
/// linear decay, no warmup, gradient norm clipped at 1.0 (the Trainer's `max_grad_norm`).
public final class FinetuningRun {
    public struct Options: Sendable {
        public var task: ClassificationTask
        public var checkpoint: String
        public var tokenizer: String
        public var train: String
        public var validation: String
        public var output: String
        public var epochs = 5
        public var batchSize = 16
        public var learningRate: Float = 5e-5
        public var maxLength = 128
        public var warmupRatio = 0.0
        public var weightDecay: Float = 0
        public var seed: UInt64 = 42
        public var labelColumn: Int?
        /// Replicas of one update (default: one per rank); the same value on any layout gives the same model.
        public var devices: Int?

        public init(task: ClassificationTask, checkpoint: String, tokenizer: String, train: String, validation: String, output: String) {
            (self.task, self.checkpoint, self.tokenizer, self.train, self.validation, self.output) = (task, checkpoint, tokenizer, train, validation, output)
        }
    }

    public let options: Options
    public let runtime: MPIRuntime
    public var log: (String) -> Void = { print($0); fflush(stdout) }

    public init(options: Options, runtime: MPIRuntime) {
        self.options = options
        self.runtime = runtime
    }

    public struct Summary {
        public var bestEpoch = 0
        public var best: [String: Double] = [:]
    }

    public func run() throws -> Summary {
        let o = options
        let layout = try DeviceLayout(devices: o.devices ?? runtime.size, rank: runtime.rank, ranks: runtime.size)
        guard o.epochs > 0, o.batchSize >= layout.devices, o.batchSize % layout.devices == 0 else {
            throw TrainingError.invalidLayout("--batch-size \(o.batchSize) must be a positive multiple of the \(layout.devices) devices (and --epochs positive)")
        }
        let tokenizer = try BPETokenizer(directory: o.tokenizer)
        guard let paddingID = tokenizer.paddingID else {
            throw TrainingError.invalidRecipe("the tokenizer in \(o.tokenizer) has no <pad> token")
        }
        let settings = FinetuningData.Settings(task: o.task, maxLength: o.maxLength, labelColumn: o.labelColumn,
                                               addPrefixSpace: o.task == .tokenClassification || tokenizerAddsPrefixSpace(o.tokenizer))
        let labels = try FinetuningData.labelList(path: o.train, settings: settings)
        let train = try FinetuningData(path: o.train, settings: settings, tokenizer: tokenizer, labels: labels, requireLabels: true)
        let validation = try FinetuningData(path: o.validation, settings: settings, tokenizer: tokenizer, labels: labels, requireLabels: true)

        let pretrained = try ModelRegistry.load(checkpoint: o.checkpoint)
        let classifier = try ModelRegistry.classifier(task: o.task, baseModelType: pretrained.model.modelType,
                                                      baseConfig: Data(pretrained.contents.modelConfig.utf8), labels: labels)
        guard o.maxLength <= classifier.maxSequenceLength else {
            throw TrainingError.invalidRecipe("--max-length \(o.maxLength) exceeds the model's \(classifier.maxSequenceLength) positions")
        }
        if let vocabulary = (pretrained.model as? any LanguageModel)?.vocabularySize,
           let bad = train.examples.lazy.flatMap(\.ids).first(where: { Int($0) >= vocabulary }) {
            throw TrainingError.invalidRecipe("token id \(bad) of the tokenizer in \(o.tokenizer) is outside the model's vocabulary (another model's tokenizer?)")
        }
        let stepsPerEpoch = (train.examples.count + o.batchSize - 1) / o.batchSize
        let totalSteps = stepsPerEpoch * o.epochs
        let warmup = Int((o.warmupRatio * Double(totalSteps)).rounded(.up))
        let optimizer = AdamWConfiguration(schedule: .warmupThenLinearDecay(peak: o.learningRate, warmupSteps: warmup, totalSteps: totalSteps),
                                           beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: o.weightDecay, clipGlobalNorm: 1)
        let trainer = try Trainer(objective: ClassificationObjective(classifier: classifier), optimizer: optimizer, decayMask: .bertin,
                                  seed: o.seed, layout: layout, runtime: runtime)
        let report = try Self.loadPretrained(pretrained.parameters, into: trainer.parameters)
        let folder = URL(fileURLWithPath: o.output)
        let logger: RunLogger?
        if runtime.isMain {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            logger = try RunLogger(folder: folder, accuracyName: trainer.objective.accuracyName, print: log)
            let platform = PlatformReport.measure()
            platform.logLines.forEach(log)
            try logger?.appendMetrics(["step": 0, "platform": platform.fields])
            log("finetune \(type(of: classifier).architecture) from \(o.checkpoint): \(labels.count) labels, \(train.examples.count) training rows, \(totalSteps) steps on \(layout.devices) device(s) over \(layout.ranks) rank(s)")
            if !report.newlyInitialized.isEmpty { log("newly initialised (not in the checkpoint): \(report.newlyInitialized.joined(separator: ", "))") }
            if !report.unused.isEmpty { log("unused weights of the checkpoint: \(report.unused.joined(separator: ", "))") }
        } else {
            logger = nil
        }

        let recipe = String(decoding: try JSONEncoder().encode(settings), as: UTF8.self)
        let metricName = FinetuningData.mainMetric(o.task)
        var summary = Summary()
        for epoch in 1...o.epochs {
            let order = BatchLoader.permutation(count: train.examples.count, seed: o.seed, epoch: epoch - 1)
            for start in stride(from: 0, to: order.count, by: o.batchSize) {
                let global = Array(order[start..<min(start + o.batchSize, order.count)])
                // A short last batch is spread as evenly as it goes; one smaller than the device count is dropped.
                guard global.count >= layout.devices else { continue }
                let batches = try layout.localDevices.map { device -> [TokenBatch] in
                    let range = (device * global.count / layout.devices)..<((device + 1) * global.count / layout.devices)
                    return [try paddedBatch(range.map { train.examples[global[$0]] }, paddingID: paddingID)]
                }
                let result = try trainer.step(batches)
                if let logger {
                    try logger.tensorBoard.add([("train/loss", Double(result.loss)), ("train/learning_rate", Double(result.learningRate)),
                                                ("train/gradient_norm", result.gradientNorm)], step: trainer.step)
                    try logger.appendMetrics(["step": trainer.step, "epoch": epoch, "loss": Double(result.loss), "accuracy": result.accuracy,
                                              "learning_rate": Double(result.learningRate), "gradient_norm": result.gradientNorm])
                }
            }
            // Rank 0 evaluates and writes; the others wait for it at the barrier.
            if let logger {
                let predicted = try ClassificationPrediction.predict(classifier, parameters: trainer.parameters, examples: validation.examples,
                                                                     batchSize: o.batchSize, paddingID: paddingID)
                var metrics = validation.metrics(predictions: validation.predictions(predicted, labels: labels), task: o.task)
                metrics["epoch"] = Double(epoch)
                log("epoch \(epoch)/\(o.epochs) step \(trainer.step) | " + metrics.filter { $0.key != "epoch" }.sorted { $0.key < $1.key }
                    .map { String(format: "%@ %.4f", $0.key, $0.value) }.joined(separator: " | "))
                var line: [String: Any] = ["step": trainer.step, "epoch": epoch]
                for (name, value) in metrics { line["eval_" + name] = value }
                try logger.appendMetrics(line)
                try logger.tensorBoard.add(metrics.filter { $0.key != "epoch" }.map { ("eval/" + $0.key, $0.value) }.sorted { $0.0 < $1.0 }, step: trainer.step)
                let progress: [String: Int64] = ["epoch": Int64(epoch)]
                if summary.best.isEmpty || metrics[metricName]! > summary.best[metricName]! {
                    (summary.best, summary.bestEpoch) = (metrics, epoch)
                    try trainer.save(to: folder.appendingPathComponent("best.h5").path, recipe: recipe, dataPosition: progress)
                }
                if epoch == o.epochs { try trainer.save(to: folder.appendingPathComponent("final.h5").path, recipe: recipe, dataPosition: progress) }
            }
            runtime.barrier()
        }
        return summary
    }

    /// What `from_pretrained` reports when a head is put on a pre-trained model.
    public struct LoadReport: Equatable, Sendable {
        public var newlyInitialized: [String] = []
        public var unused: [String] = []
    }

    /// Copies every tensor of `pretrained` that `store` has under the same name and shape; the rest
    /// of `store` keeps its fresh initialisation. A tensor with the name but another shape is an error.
    public static func loadPretrained(_ pretrained: ParameterStore, into store: ParameterStore) throws -> LoadReport {
        var report = LoadReport()
        let available = Dictionary(uniqueKeysWithValues: pretrained.entries.map { ($0.name, $0) })
        for entry in store.entries {
            guard let source = available[entry.name] else { report.newlyInitialized.append(entry.name); continue }
            guard source.shape == entry.shape else {
                throw TrainingError.invalidRecipe("the checkpoint's \(entry.name) has shape \(source.shape), the head's model needs \(entry.shape)")
            }
            (store.values.baseAddress! + entry.offset).update(from: pretrained.values.baseAddress! + source.offset, count: entry.count)
        }
        let used = Set(store.entries.map(\.name))
        report.unused = pretrained.entries.map(\.name).filter { !used.contains($0) }
        return report
    }
}

/// The tokenizer's `add_prefix_space` from its `tokenizer_config.json` (false when absent, as
/// transformers' RoBERTa tokenizer defaults).
public func tokenizerAddsPrefixSpace(_ directory: String) -> Bool {
    let path = URL(fileURLWithPath: directory).appendingPathComponent("tokenizer_config.json")
    guard let data = try? Data(contentsOf: path), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
    return object["add_prefix_space"] as? Bool ?? false
}
