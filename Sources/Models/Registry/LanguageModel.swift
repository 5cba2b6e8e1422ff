import Foundation
import Tensor

/// A model config: transformers' `config.json` through `Codable`, and the recipe's `model:` section.
public protocol ModelConfiguration: Codable, Equatable, Sendable {
    /// The recipe's `model:` keys for this family (snake_case, as in the files).
    associatedtype RecipeSection: Decodable
    /// The keys `RecipeSection` reads (a recipe naming any other key is refused).
    static var recipeKeys: [String] { get }
    /// `vocabularySize` is the rows' tokenizer's, used when the recipe names none.
    init(recipe: RecipeSection, vocabularySize: Int) throws
    /// The recipe keys that size the position table for rows of exactly `length` tokens (what
    /// `bertin bench train` builds, as its PyTorch peer does).
    static func positionSettings(forRowsOf length: Int) -> [String: Int]
}

/// A model the trainer can optimise, checkpoint and export: its parameters in transformers'
/// state_dict names and shapes, its initialisation, its dropout sites and its config. Pre-trained
/// language models (`LanguageModel`) and the fine-tuning heads (`ClassificationModel`) refine it.
/// Everything outside a family's folder (trainer, checkpoints, interop, commands) works through
/// these protocols and the registry.
public protocol TrainableModel: Sendable {
    associatedtype Configuration: Codable & Equatable & Sendable
    /// transformers' `model_type` ("roberta", "gptj"): the registry key.
    static var modelType: String { get }
    /// transformers' class of the exported directory ("RobertaForMaskedLM").
    static var architecture: String { get }

    var config: Configuration { get }
    /// Every parameter, in transformers names and shapes (Linear weights `[out, in]`).
    var layout: [(name: String, shape: [Int])] { get }
    /// Dropout sites of one forward pass (streams `key.stream ..< key.stream + dropoutSiteCount`).
    var dropoutSiteCount: Int { get }
    /// The longest row the model can take.
    var maxSequenceLength: Int { get }
    /// transformers' initialisation, one random stream per parameter.
    func initialize(_ store: ParameterStore, seed: UInt64) throws
    /// What the parameter `name` of `layout` is (bias, normalisation scale or weight), for the
    /// initialiser and the weight-decay mask.
    func role(of name: String) -> ParameterRole
    /// Parameter tensors in one block: how far ZeRO-3 prefetches (about the next block).
    var tensorsPerBlock: Int { get }

    /// How this family's tensors are named in transformers files.
    static var transformersNames: TransformersNames { get }
    /// `config.json` for transformers as a JSON object: `original`'s keys kept, the family's written
    /// over them (the writer adds `architectures`, `model_type` and `dtype`).
    func transformersConfig(mergingInto original: String?) throws -> [String: Any]
}

/// A language model family: a trainable model with a vocabulary, hidden states at every position
/// and a head that turns chosen positions into logits over the vocabulary. Losses are the
/// objectives' (the Objectives target): they pick the rows that carry a label, run `head` on those
/// only and score them, so a new loss touches no family.
public protocol LanguageModel: TrainableModel where Configuration: ModelConfiguration {
    /// The name, in the objective registry, of the objective this family is pre-trained with
    /// ("masked-lm" for RoBERTa, "causal-lm" for GPT-J).
    static var defaultObjective: String { get }

    init(config: Configuration) throws
    var vocabularySize: Int { get }
    /// C, the width of `hiddenStates` and of `head`'s input.
    var hiddenSize: Int { get }
    /// The representation the head reads at every position, `[B, T, C]`.
    func hiddenStates(_ p: Parameters, inputIDs: IndexTensor, attentionMask: IndexTensor, mode: ForwardMode) throws -> Tensor
    /// The language-model head on chosen rows of `hiddenStates`: `[N, C]` → logits `[N, V]`.
    func head(_ p: Parameters, _ hidden: Tensor) throws -> Tensor
    /// Memory of one device's training step besides the parameters (`bertin plan`).
    func activationEstimate(batch: Int, sequenceLength: Int) -> ActivationEstimate
}

/// Names a family's transformers files may use besides its layout.
public struct TransformersNames: Sendable {
    /// Our name → another name the same tensor may be stored under.
    public var aliases: [String: String] = [:]
    /// Tensors that must equal one of ours when present (a tied decoder stored twice): name → ours.
    public var tied: [String: String] = [:]
    /// Buffers and unused modules that files may hold; skipped on import, named in a note.
    public var ignorable: @Sendable (String) -> Bool = { _ in false }
    /// transformers' Flax class of this family names its parameters by the PyTorch ↔ Flax rule
    /// (LayerNorm `scale`, `embedding` tables, `[in, out]` kernels) over these names, so its Flax
    /// checkpoints convert (Interop's FlaxConversion).
    public var flaxFollowsTheRenameRule = false

    public init(aliases: [String: String] = [:], tied: [String: String] = [:], ignorable: @escaping @Sendable (String) -> Bool = { _ in false },
                flaxFollowsTheRenameRule: Bool = false) {
        (self.aliases, self.tied, self.ignorable, self.flaxFollowsTheRenameRule) = (aliases, tied, ignorable, flaxFollowsTheRenameRule)
    }
}

extension TrainableModel {
    /// A parameter store with this model's layout and roles, all zero.
    public func makeParameterStore() throws -> ParameterStore {
        let layout = layout
        return try ParameterStore(layout: layout, roles: layout.map { role(of: $0.name) })
    }

    public var parameterCount: Int { layout.reduce(0) { $0 + $1.shape.reduce(1, *) } }

    public var modelType: String { Self.modelType }

    /// The config as stored in checkpoints: transformers keys plus `model_type` and
    /// `architectures`, which the registry reads to rebuild the model.
    public func checkpointConfig() throws -> String {
        var object = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(config)) as? [String: Any] ?? [:]
        object["model_type"] = Self.modelType
        object["architectures"] = [Self.architecture]
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}

extension LanguageModel {
    public var defaultObjective: String { Self.defaultObjective }

    /// Logits at every position, `[B, T, V]` (what transformers returns; fill-mask, generation and
    /// the reference tests use it): the head on every row of the hidden states.
    public func logits(_ p: Parameters, inputIDs: IndexTensor, attentionMask: IndexTensor, mode: ForwardMode) throws -> Tensor {
        let hidden = try hiddenStates(p, inputIDs: inputIDs, attentionMask: attentionMask, mode: mode)
        let (b, t) = (inputIDs.shape[0], inputIDs.shape[1])
        return try head(p, try hidden.reshaped([b * t, hiddenSize])).reshaped([b, t, vocabularySize])
    }
}

/// `original`'s keys with `ours` written over them. `floats` are written through their shortest
/// decimal (1e-05, not 9.99999974737875e-06).
func mergedConfig(_ ours: some Encodable, into original: String?, floats: [String: Float], extra: [String: Any] = [:]) throws -> [String: Any] {
    var object = original.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? [:]
    let encoded = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(ours)) as? [String: Any] ?? [:]
    for (key, value) in encoded { object[key] = value }
    for (key, value) in floats { object[key] = Double("\(value)") }
    for (key, value) in extra { object[key] = value }
    return object
}
