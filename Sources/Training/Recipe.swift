import Distributed
import Foundation
import Models
import Optimization
import Tensor
import Yams

/// A training recipe (YAML, see Recipes/): the model, the optimizer and a list of phases, each
/// reading prepared rows (`bertin prepare`). Keys are snake_case as in the files.
public struct Recipe: Codable, Equatable, Sendable {
    public var name: String
    public var seed: UInt64 = 2021
    /// Replicas, as pmap's devices: MPI ranks × devices per rank (BERTIN: 8, one TPUv3-8).
    public var devices: Int = 8
    public var model: ModelSection
    public var optimizer: OptimizerSection = OptimizerSection()
    public var phases: [Phase]
    public var evalEvery: Int = 1000
    public var evalBatches: Int = 10
    public var checkpointEvery: Int = 1000
    public var keepCheckpoints: Int = 3
    /// Checkpoints never pruned (BERTIN's phase 2 started from phase-1 step 230k).
    public var keepSteps: [Int] = []
    public var logEvery: Int = 1
    /// Run folder (default `Checkpoints/<name>`).
    public var output: String?
    /// How much of the training state each rank holds: replicated, optimizer (ZeRO-1), gradients
    /// (ZeRO-2) or parameters (ZeRO-3). Every choice computes the same bits.
    public var sharding: Sharding = .replicated
    /// Keep only each block's input during forward and recompute the block in backward (less
    /// memory for long rows, about one more forward of compute; the same bits).
    public var recompute: Bool = false
    /// Where the recipe was read from (its path, as `parse` was given it), named by validation errors.
    public var source = "recipe"

    /// `type` names the model family (transformers' `model_type`: roberta, gptj); the other keys
    /// are the family's (see its config's `RecipeSection`) and are handed to the registry as they are.
    public struct ModelSection: Codable, Equatable, Sendable {
        public var type: String = ModelRegistry.defaultModelType
        public var settings: [String: RecipeValue] = [:]
    }

    public struct OptimizerSection: Codable, Equatable, Sendable {
        public var beta1 = AdamWConfiguration.BERTIN.beta1
        public var beta2 = AdamWConfiguration.BERTIN.beta2
        public var epsilon = AdamWConfiguration.BERTIN.epsilon
        public var weightDecay = AdamWConfiguration.BERTIN.weightDecay
        public var clipGlobalNorm: Float?
        /// bertin (no decay for biases and LayerNorm scales), matrices (only ndim > 1, mesh-transformer-jax's) or all.
        public var weightDecayMask = WeightDecayMask.Name.bertin
    }

    public struct Phase: Codable, Equatable, Sendable {
        public var name: String
        /// Folder written by `bertin prepare` (index.json + shards).
        public var rows: String
        public var perDeviceBatch: Int
        public var accumulation: Int = 1
        public var steps: Int
        public var warmupSteps: Int
        public var learningRate: Float
        /// After warmup: linear to 0 (BERTIN's RoBERTa) or cosine to `final_learning_rate` (mesh-transformer-jax's gpt3 schedule).
        public var decay: Decay = .linear
        public var finalLearningRate: Float = 0
        /// At the start of a later phase: fresh resets AdamW's moments and count, keep continues them.
        public var optimizerState: Continuation = .fresh
        /// fresh starts this phase's warmup + decay; keep continues the previous phase's schedule
        /// at the (kept) optimizer's update count.
        public var schedule: Continuation = .fresh
        /// Start the phase from this checkpoint's parameters, and its optimizer state when
        /// `optimizer_state` is "keep" (BERTIN's phase 2 began at phase-1 step 230k).
        public var initializeFrom: String?
    }

    /// The decay after a phase's warmup.
    public enum Decay: String, RecipeChoice { case linear, cosine }
    /// What a phase does with what the previous one left (optimizer state, schedule).
    public enum Continuation: String, RecipeChoice { case fresh, keep }

    public var outputFolder: String { output ?? "Checkpoints/\(name)" }

    /// How a type reads in an error message: "an integer", not "Int".
    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: return "an integer"
        case is Float.Type, is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is String.Type: return "a string"
        default: return "\(type)"
        }
    }

    /// Throws unless the recipe can run with `ranks` MPI ranks.
    public func validate(ranks: Int) throws {
        func require(_ condition: Bool, _ reason: String) throws { if !condition { throw TrainingError.invalidRecipe("\(source): \(reason)") } }
        try require(!phases.isEmpty, "no phases")
        try require(devices > 0 && devices % ranks == 0, "devices: \(devices) do not divide over \(ranks) MPI ranks (use -np dividing \(devices))")
        for (key, value) in [("eval_every", evalEvery), ("checkpoint_every", checkpointEvery), ("keep_checkpoints", keepCheckpoints), ("log_every", logEvery)] {
            try require(value > 0, "\(key) is \(value); it must be positive")
        }
        for (index, phase) in phases.enumerated() {
            for (key, value) in [("per_device_batch", phase.perDeviceBatch), ("accumulation", phase.accumulation), ("steps", phase.steps)] {
                try require(value > 0, "phases.\(index) (\(phase.name)): \(key) is \(value); it must be positive")
            }
            try require((0...phase.steps).contains(phase.warmupSteps),
                        "phases.\(index) (\(phase.name)): warmup_steps is \(phase.warmupSteps); it must lie in 0...\(phase.steps) (the phase's steps)")
            try require(index > 0 || phase.schedule == .fresh, "the first phase cannot keep a previous schedule")
            try require(phase.schedule == .fresh || phase.optimizerState == .keep,
                        "phase \(phase.name): keeping the schedule needs the optimizer state kept too (the schedule runs on its update count)")
        }
    }

    /// The learning rate of the update at training step `step` in phase `phase`: a fresh schedule
    /// runs from the phase's first step (`phaseStart`); a kept one is the schedule of the phase that
    /// last started fresh, at the optimizer's update count `optimizerCount` (as optax's would continue).
    public func learningRate(phase: Int, step: Int, phaseStart: [Int], optimizerCount: Int) -> Float {
        var index = phase
        while index > 0, phases[index].schedule == .keep { index -= 1 }
        let owner = phases[index]
        let schedule = owner.learningRateSchedule
        return index == phase ? schedule(step - phaseStart[phase]) : schedule(optimizerCount)
    }

    /// The optimizer configuration of the recipe, with the first phase's schedule.
    public var optimizerConfiguration: AdamWConfiguration {
        AdamWConfiguration(schedule: phases[0].learningRateSchedule, beta1: optimizer.beta1, beta2: optimizer.beta2,
                           epsilon: optimizer.epsilon, weightDecay: optimizer.weightDecay, clipGlobalNorm: optimizer.clipGlobalNorm)
    }

    /// First training step of each phase.
    public var phaseStarts: [Int] { phases.indices.map { phases[..<$0].reduce(0) { $0 + $1.steps } } }
    public var totalSteps: Int { phases.reduce(0) { $0 + $1.steps } }

    // MARK: - Files and overrides

    /// Reads a recipe file, applies `overrides` ("phases.0.steps=20", "optimizer.weight_decay=0"; values
    /// are YAML scalars; `key=null` removes a key or a list element), and returns it with its resolved text (stored in every checkpoint).
    public static func load(path: String, overrides: [String] = []) throws -> (recipe: Recipe, text: String) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TrainingError.invalidRecipe("\(path): cannot read the file (missing?)")
        }
        return try parse(text, source: path, overrides: overrides)
    }

    public static func parse(_ text: String, source: String, overrides: [String] = []) throws -> (recipe: Recipe, text: String) {
        var tree: Any
        try RecipeNesting.check(text, source: source)
        do { tree = try Yams.load(yaml: text) ?? [:] } catch { throw TrainingError.invalidRecipe("\(source): not YAML: \(error)") }
        try RecipeKeys.check(tree, source: source)
        for override in overrides {
            tree = try RecipeOverride(override).applied(to: tree)
            try RecipeKeys.check(tree, source: "--set \(override)")
        }
        let resolved = try Yams.dump(object: tree, sortKeys: true)
        do {
            let decoder = YAMLDecoder()
            var recipe = try decoder.decode(Recipe.self, from: resolved, userInfo: [:])
            recipe.source = source
            return (recipe, resolved)
        } catch let DecodingError.keyNotFound(key, context) {
            throw TrainingError.invalidRecipe("\(source): missing \(dotted(context.codingPath + [key]))")
        } catch let DecodingError.valueNotFound(_, context) {
            throw TrainingError.invalidRecipe("\(source): missing \(dotted(context.codingPath))")
        } catch let DecodingError.typeMismatch(type, context) {
            throw TrainingError.invalidRecipe("\(source): \(dotted(context.codingPath)) has the wrong type (expected \(Self.typeName(type)))")
        } catch let DecodingError.dataCorrupted(context) {
            throw TrainingError.invalidRecipe("\(source): \(dotted(context.codingPath)): \(context.debugDescription)")
        } catch {
            throw TrainingError.invalidRecipe("\(source): \(error)")
        }
    }

    /// "phases.0.steps" for a coding path.
    private static func dotted(_ path: [CodingKey]) -> String {
        path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, seed, devices, model, optimizer, phases, output, sharding, recompute
        case evalEvery = "eval_every", evalBatches = "eval_batches", checkpointEvery = "checkpoint_every"
        case keepCheckpoints = "keep_checkpoints", logEvery = "log_every", keepSteps = "keep_steps"
    }
}

extension Recipe {
    public init(from decoder: Decoder) throws {
        // Absent keys keep the defaults of the property declarations (the one place they are written).
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        model = try c.decodeIfPresent(ModelSection.self, forKey: .model) ?? ModelSection()
        phases = try c.decode([Phase].self, forKey: .phases)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
        devices = try c.decodeIfPresent(Int.self, forKey: .devices) ?? devices
        optimizer = try c.decodeIfPresent(OptimizerSection.self, forKey: .optimizer) ?? optimizer
        evalEvery = try c.decodeIfPresent(Int.self, forKey: .evalEvery) ?? evalEvery
        evalBatches = try c.decodeIfPresent(Int.self, forKey: .evalBatches) ?? evalBatches
        checkpointEvery = try c.decodeIfPresent(Int.self, forKey: .checkpointEvery) ?? checkpointEvery
        keepCheckpoints = try c.decodeIfPresent(Int.self, forKey: .keepCheckpoints) ?? keepCheckpoints
        keepSteps = try c.decodeIfPresent([Int].self, forKey: .keepSteps) ?? keepSteps
        logEvery = try c.decodeIfPresent(Int.self, forKey: .logEvery) ?? logEvery
        output = try c.decodeIfPresent(String.self, forKey: .output)
        sharding = try c.decodeIfPresent(Sharding.self, forKey: .sharding) ?? sharding
        recompute = try c.decodeIfPresent(Bool.self, forKey: .recompute) ?? recompute
    }
}

extension Recipe.ModelSection {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        for key in c.allKeys {
            if key.stringValue == "type" { type = try c.decode(String.self, forKey: key) } else { settings[key.stringValue] = try c.decode(RecipeValue.self, forKey: key) }
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(type, forKey: Key(stringValue: "type"))
        for (key, value) in settings { try c.encode(value, forKey: Key(stringValue: key)) }
    }

    /// The family's keys as JSON, for the registry.
    public var settingsJSON: Data { get throws { try JSONEncoder().encode(settings) } }
}

/// A scalar of a recipe (a number, a string, a flag or null), kept as written.
public enum RecipeValue: Codable, Equatable, Sendable {
    case integer(Int), number(Double), text(String), flag(Bool), null

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let value = try? c.decode(Int.self) { self = .integer(value) }
        else if let value = try? c.decode(Double.self) { self = .number(value) }
        else if let value = try? c.decode(Bool.self) { self = .flag(value) }
        else { self = .text(try c.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .integer(let value): try c.encode(value)
        case .number(let value): try c.encode(value)
        case .text(let value): try c.encode(value)
        case .flag(let value): try c.encode(value)
        case .null: try c.encodeNil()
        }
    }
}

extension Recipe.OptimizerSection {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case beta1, beta2, epsilon
        case weightDecay = "weight_decay", clipGlobalNorm = "clip_global_norm", weightDecayMask = "weight_decay_mask"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        beta1 = try c.decodeIfPresent(Float.self, forKey: .beta1) ?? beta1
        beta2 = try c.decodeIfPresent(Float.self, forKey: .beta2) ?? beta2
        epsilon = try c.decodeIfPresent(Float.self, forKey: .epsilon) ?? epsilon
        weightDecay = try c.decodeIfPresent(Float.self, forKey: .weightDecay) ?? weightDecay
        clipGlobalNorm = try c.decodeIfPresent(Float.self, forKey: .clipGlobalNorm)
        weightDecayMask = try c.decodeIfPresent(WeightDecayMask.Name.self, forKey: .weightDecayMask) ?? weightDecayMask
    }
}

extension Recipe.Phase {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, rows, accumulation, steps, schedule, decay
        case finalLearningRate = "final_learning_rate"
        case perDeviceBatch = "per_device_batch", warmupSteps = "warmup_steps", learningRate = "learning_rate"
        case optimizerState = "optimizer_state", initializeFrom = "initialize_from"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        rows = try c.decode(String.self, forKey: .rows)
        perDeviceBatch = try c.decode(Int.self, forKey: .perDeviceBatch)
        accumulation = try c.decodeIfPresent(Int.self, forKey: .accumulation) ?? accumulation
        steps = try c.decode(Int.self, forKey: .steps)
        warmupSteps = try c.decode(Int.self, forKey: .warmupSteps)
        learningRate = try c.decode(Float.self, forKey: .learningRate)
        decay = try c.decodeIfPresent(Recipe.Decay.self, forKey: .decay) ?? decay
        finalLearningRate = try c.decodeIfPresent(Float.self, forKey: .finalLearningRate) ?? finalLearningRate
        optimizerState = try c.decodeIfPresent(Recipe.Continuation.self, forKey: .optimizerState) ?? optimizerState
        schedule = try c.decodeIfPresent(Recipe.Continuation.self, forKey: .schedule) ?? schedule
        initializeFrom = try c.decodeIfPresent(String.self, forKey: .initializeFrom)
    }
}

extension Recipe.Phase {
    /// Warmup to `learning_rate`, then the phase's decay over its steps.
    public var learningRateSchedule: LearningRateSchedule {
        decay == .cosine
            ? .warmupThenCosineDecay(peak: learningRate, final: finalLearningRate, warmupSteps: warmupSteps, totalSteps: steps)
            : .warmupThenLinearDecay(peak: learningRate, warmupSteps: warmupSteps, totalSteps: steps)
    }
}
