import CheckpointedModels
import Checkpointing
import Distributed
import Downstream
import Foundation
import Kernels
import Models
import Objectives
import Optimization
import Tensor
import Tokenization
import Training

/// `bertin finetune`: a classification head on a pre-trained checkpoint, trained data-parallel like
/// pre-training (`devices` replicas over the MPI ranks, mean of per-device means, so every layout
/// gives the same bits), evaluated on the validation file after every epoch; rank 0 keeps the
/// best checkpoint by the task metric (`best.h5`) and the last (`final.h5`), logs metrics.jsonl and
/// TensorBoard. Defaults are transformers' run_ner / run_glue settings that BERTIN used
/// (the BERTIN paper's NER and POS runs, tables 3–4): 5 epochs, batch 16, AdamW lr 5e-5 (β 0.9/0.999, ε 1e-8, no weight decay),
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
    /// The stop request and the watchdog's context, from the command.
    public let control: RunControl
    public var log: (String) -> Void = { print($0); fflush(stdout) }

    public init(options: Options, runtime: MPIRuntime, control: RunControl) {
        self.options = options
        self.runtime = runtime
        self.control = control
    }

    public struct Summary {
        public var bestEpoch = 0
        public var best: [String: Double] = [:]
    }

    /// The train and validation files encoded for the task, with their label list and padding id.
    struct Inputs {
        let settings: FinetuningData.Settings
        let labels: [String]
        let train: FinetuningData
        let validation: FinetuningData
        let paddingID: Int32
    }

    public func run() throws -> Summary {
        let o = options
        let layout = try DeviceLayout(devices: o.devices ?? runtime.size, rank: runtime.rank, ranks: runtime.size)
        guard o.epochs > 0, o.batchSize >= layout.devices, o.batchSize % layout.devices == 0 else {
            throw TrainingError.invalidLayout("--batch-size \(o.batchSize) must be a positive multiple of the \(layout.devices) devices (and --epochs positive)")
        }
        let inputs = try readData()
        let (trainer, report) = try makeTrainer(inputs: inputs, layout: layout)
        let folder = URL(fileURLWithPath: o.output)
        let logger = runtime.isMain ? try startLog(trainer, inputs: inputs, report: report, layout: layout) : nil
        let recipe = String(decoding: try JSONEncoder().encode(inputs.settings), as: UTF8.self)
        var summary = Summary()
        for epoch in 1...o.epochs {
            let updates = epochUpdates(epoch: epoch, count: inputs.train.examples.count, devices: layout.devices)
            var remaining = updates[...]
            var loop = TrainingLoop(trainer: trainer, runtime: runtime) {
                guard let global = remaining.popFirst() else { return nil }
                // A short last batch is spread as evenly as it goes.
                return .init(batches: try layout.localDevices.map { device -> [TokenBatch] in
                    let range = (device * global.count / layout.devices)..<((device + 1) * global.count / layout.devices)
                    return [try paddedBatch(range.map { inputs.train.examples[global[$0]] }, paddingID: inputs.paddingID)]
                }, learningRate: nil)
            }
            loop.record = { result, _ in
                guard let logger else { return }
                try logger.tensorBoard.add([("train/loss", Double(result.loss)), ("train/learning_rate", Double(result.learningRate)),
                                            ("train/gradient_norm", result.gradientNorm)], step: trainer.step)
                try logger.appendMetrics(["step": trainer.step, "epoch": epoch, "loss": Double(result.loss), "accuracy": result.accuracy,
                                          "learning_rate": Double(result.learningRate), "gradient_norm": result.gradientNorm])
            }
            // The epoch's last update: rank 0 evaluates and writes; the others wait for it at the loop's barrier.
            loop.checkpoint = { _, _ in
                guard remaining.isEmpty else { return false }
                if let logger { try self.endEpoch(epoch, trainer: trainer, inputs: inputs, logger: logger, folder: folder, recipe: recipe, summary: &summary) }
                return true
            }
            if try loop.run() { break }
            if updates.isEmpty {  // fewer examples than devices: no update, still an evaluation
                if let logger { try endEpoch(epoch, trainer: trainer, inputs: inputs, logger: logger, folder: folder, recipe: recipe, summary: &summary) }
                runtime.barrier()
            }
        }
        return summary
    }

    /// The global batches of `epoch` (example indices in the epoch's shuffled order); a last batch
    /// smaller than the device count is dropped.
    func epochUpdates(epoch: Int, count: Int, devices: Int) -> [[Int]] {
        let order = BatchLoader.permutation(count: count, seed: options.seed, epoch: epoch - 1)
        return stride(from: 0, to: order.count, by: options.batchSize).map { Array(order[$0..<min($0 + options.batchSize, order.count)]) }
            .filter { $0.count >= devices }
    }

    func readData() throws -> Inputs {
        let o = options
        let tokenizer = try BPETokenizer(directory: o.tokenizer)
        guard let paddingID = tokenizer.paddingID else {
            throw TrainingError.invalidRecipe("the tokenizer in \(o.tokenizer) has no <pad> token")
        }
        let settings = FinetuningData.Settings(task: o.task, maxLength: o.maxLength, labelColumn: o.labelColumn,
                                               addPrefixSpace: o.task == .tokenClassification || tokenizerAddsPrefixSpace(o.tokenizer))
        let labels = try FinetuningData.labelList(path: o.train, settings: settings)
        return Inputs(settings: settings, labels: labels,
                    train: try FinetuningData(path: o.train, settings: settings, tokenizer: tokenizer, labels: labels, requireLabels: true),
                    validation: try FinetuningData(path: o.validation, settings: settings, tokenizer: tokenizer, labels: labels, requireLabels: true),
                    paddingID: paddingID)
    }

    /// The head on the pre-trained checkpoint and its trainer with run_ner's optimizer; what was
    /// loaded into the head and what was left.
    func makeTrainer(inputs: Inputs, layout: DeviceLayout) throws -> (Trainer<ClassificationObjective>, LoadReport) {
        let o = options
        let pretrained = try ModelRegistry.load(checkpoint: o.checkpoint)
        let classifier = try ModelRegistry.classifier(task: o.task, baseModelType: pretrained.model.modelType,
                                                      baseConfig: Data(pretrained.contents.modelConfig.utf8), labels: inputs.labels)
        guard o.maxLength <= classifier.maxSequenceLength else {
            throw TrainingError.invalidRecipe("--max-length \(o.maxLength) exceeds the model's \(classifier.maxSequenceLength) positions")
        }
        if let vocabulary = (pretrained.model as? any LanguageModel)?.vocabularySize,
           let bad = inputs.train.examples.lazy.flatMap(\.ids).first(where: { Int($0) >= vocabulary }) {
            throw TrainingError.invalidRecipe("token id \(bad) of the tokenizer in \(o.tokenizer) is outside the model's vocabulary (another model's tokenizer?)")
        }
        let totalSteps = totalSteps(inputs)
        let warmup = Int((o.warmupRatio * Double(totalSteps)).rounded(.up))
        let optimizer = AdamWConfiguration(schedule: .warmupThenLinearDecay(peak: o.learningRate, warmupSteps: warmup, totalSteps: totalSteps),
                                           beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: o.weightDecay, clipGlobalNorm: 1)
        let trainer = try Trainer(objective: ClassificationObjective(classifier: classifier), optimizer: optimizer, decayMask: .bertin,
                                  seed: o.seed, layout: layout, runtime: runtime, control: control)
        return (trainer, try Self.loadPretrained(pretrained.parameters, into: trainer.parameters))
    }

    /// Updates of the whole run, short last batches counted (the linear decay's length, as run_ner's).
    func totalSteps(_ inputs: Inputs) -> Int { (inputs.train.examples.count + options.batchSize - 1) / options.batchSize * options.epochs }

    /// Rank 0's logger, after the run's first lines: the platform, what is fine-tuned, what was loaded.
    func startLog(_ trainer: Trainer<ClassificationObjective>, inputs: Inputs, report: LoadReport, layout: DeviceLayout) throws -> RunLogger {
        let o = options
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: o.output), withIntermediateDirectories: true)
        let logger = try RunLogger(folder: URL(fileURLWithPath: o.output), accuracyName: trainer.objective.accuracyName, print: log)
        let platform = PlatformReport.measure()
        platform.logLines.forEach(log)
        try logger.appendMetrics(["step": 0, "platform": platform.fields])
        log("finetune \(type(of: trainer.objective.classifier).architecture) from \(o.checkpoint): \(inputs.labels.count) labels, \(inputs.train.examples.count) training rows, \(totalSteps(inputs)) steps on \(layout.devices) device(s) over \(layout.ranks) rank(s)")
        if !report.newlyInitialized.isEmpty { log("newly initialised (not in the checkpoint): \(report.newlyInitialized.joined(separator: ", "))") }
        if !report.unused.isEmpty { log("unused weights of the checkpoint: \(report.unused.joined(separator: ", "))") }
        return logger
    }

    /// Rank 0 at an epoch's end: the validation metrics logged, `best.h5` when the task metric
    /// improved, `final.h5` after the last epoch.
    func endEpoch(_ epoch: Int, trainer: Trainer<ClassificationObjective>, inputs: Inputs, logger: RunLogger, folder: URL, recipe: String,
                  summary: inout Summary) throws {
        let o = options
        let predicted = try ClassificationPrediction.predict(trainer.objective.classifier, parameters: trainer.parameters, examples: inputs.validation.examples,
                                                             batchSize: o.batchSize, paddingID: inputs.paddingID)
        var metrics = inputs.validation.metrics(predictions: inputs.validation.predictions(predicted, labels: inputs.labels), task: o.task)
        metrics["epoch"] = Double(epoch)
        log("epoch \(epoch)/\(o.epochs) step \(trainer.step) | " + metrics.filter { $0.key != "epoch" }.sorted { $0.key < $1.key }
            .map { String(format: "%@ %.4f", $0.key, $0.value) }.joined(separator: " | "))
        var line: [String: Any] = ["step": trainer.step, "epoch": epoch]
        for (name, value) in metrics { line["eval_" + name] = value }
        try logger.appendMetrics(line)
        try logger.tensorBoard.add(metrics.filter { $0.key != "epoch" }.map { ("eval/" + $0.key, $0.value) }.sorted { $0.0 < $1.0 }, step: trainer.step)
        let progress: [String: Int64] = ["epoch": Int64(epoch)]
        let metricName = FinetuningData.mainMetric(o.task)
        if summary.best.isEmpty || metrics[metricName]! > summary.best[metricName]! {
            (summary.best, summary.bestEpoch) = (metrics, epoch)
            try trainer.save(to: folder.appendingPathComponent("best.h5").path, recipe: recipe, dataPosition: progress)
        }
        if epoch == o.epochs { try trainer.save(to: folder.appendingPathComponent("final.h5").path, recipe: recipe, dataPosition: progress) }
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
