import Foundation

/// One model family: how to build it from a transformers config or a recipe section. (Unchecked
/// Sendable: its closures only call a model's initialiser, which captures nothing.)
public struct ModelFamily: @unchecked Sendable {
    public let modelType: String
    /// The recipe `model:` keys of the family, besides `type`.
    public let recipeKeys: [String]
    /// The keys that size the position table for rows of a given length.
    public let positionSettings: (Int) -> [String: Int]
    let fromConfig: (Data) throws -> any LanguageModel
    let fromRecipe: (Data, Int) throws -> any LanguageModel

    /// The family of `Model`, built by `make` from its configuration type (the shape of
    /// mlx-swift-examples' `create(LlamaConfiguration.self, LlamaModel.init)`).
    public static func create<Model: LanguageModel>(
        _ configuration: Model.Configuration.Type, _ make: @escaping (Model.Configuration) throws -> Model
    ) -> ModelFamily {
        ModelFamily(
            modelType: Model.modelType, recipeKeys: Model.Configuration.recipeKeys,
            positionSettings: Model.Configuration.positionSettings,
            fromConfig: { data in try make(try JSONDecoder().decode(configuration, from: data)) },
            fromRecipe: { data, vocabularySize in
                let section = try JSONDecoder().decode(Model.Configuration.RecipeSection.self, from: data)
                return try make(try Model.Configuration(recipe: section, vocabularySize: vocabularySize))
            })
    }
}

/// A classification head over one family's encoder, as transformers' `*ForTokenClassification`.
public struct ClassifierFamily: @unchecked Sendable {
    public let architecture: String
    public let task: ClassificationTask
    /// The `model_type` whose pre-trained checkpoints the head is put on.
    public let baseModelType: String
    let fromConfig: (Data) throws -> any ClassificationModel
    let fromBase: (Data, [String]) throws -> any ClassificationModel

    public static func create<Model: ClassificationModel>(
        _ configuration: Model.Configuration.Type, _ make: @escaping (Model.Configuration) throws -> Model
    ) -> ClassifierFamily {
        ClassifierFamily(
            architecture: Model.architecture, task: Model.task, baseModelType: Model.baseModelType,
            fromConfig: { data in try make(try JSONDecoder().decode(configuration, from: data)) },
            fromBase: { data, labels in try make(try configuration.init(base: data, labels: labels)) })
    }
}

/// Every model family, keyed by transformers' `model_type`, and every classification head, keyed
/// by its transformers class. A new family is a folder under `Sources/Models/` and one line here;
/// nothing else names a model.
public enum ModelRegistry {
    public static let families: [String: ModelFamily] = [
        "roberta": .create(RobertaConfig.self, RobertaForMaskedLM.init),
        "gptj": .create(GPTJConfig.self, GPTJForCausalLM.init),
    ]

    public static let classifiers: [String: ClassifierFamily] = [
        "RobertaForTokenClassification": .create(RobertaClassificationConfig.self, RobertaForTokenClassification.init),
        "RobertaForSequenceClassification": .create(RobertaClassificationConfig.self, RobertaForSequenceClassification.init),
    ]

    /// Checkpoints written before model families existed hold RoBERTa configs without `model_type`.
    public static let defaultModelType = "roberta"

    public static func family(_ modelType: String) throws -> ModelFamily {
        guard let family = families[modelType] else {
            throw ModelError.invalidConfig("model type \"\(modelType)\" is not known (known: \(families.keys.sorted().joined(separator: ", ")))")
        }
        return family
    }

    /// The model a transformers `config.json` (or a checkpoint's stored config) describes: a
    /// classification head when `architectures` names a registered one, else the language model
    /// of its `model_type`.
    public static func model(configJSON data: Data) throws -> any TrainableModel {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelError.invalidConfig("the config is not a JSON object")
        }
        let type = object["model_type"] as? String ?? defaultModelType
        let architecture = (object["architectures"] as? [String])?.first ?? ""
        do {
            if let classifier = classifiers[architecture] { return try classifier.fromConfig(data) }
            return try family(type).fromConfig(data)
        } catch let error as ModelError { throw error } catch {
            throw ModelError.invalidConfig("not a \(architecture.isEmpty ? type : architecture) config: \(error)")
        }
    }

    /// The `task` head for a pre-trained model of `modelType` whose stored config is `baseConfig`.
    public static func classifier(task: ClassificationTask, baseModelType modelType: String, baseConfig: Data, labels: [String]) throws -> any ClassificationModel {
        guard let family = classifiers.values.first(where: { $0.task == task && $0.baseModelType == modelType }) else {
            let known = classifiers.values.filter { $0.task == task }.map(\.baseModelType).sorted()
            throw ModelError.invalidConfig("no \(task.rawValue) head for \(modelType) models (heads exist for: \(known.joined(separator: ", ")))")
        }
        do { return try family.fromBase(baseConfig, labels) } catch let error as ModelError { throw error } catch {
            throw ModelError.invalidConfig("not a \(modelType) config: \(error)")
        }
    }

    /// The model a recipe's `model:` section describes: `type` picks the family, the other keys
    /// are the family's recipe keys (JSON), and rows' `vocabularySize` fills an absent vocab_size.
    public static func model(type: String, recipeSection json: Data, vocabularySize: Int) throws -> any LanguageModel {
        do { return try family(type).fromRecipe(json, vocabularySize) } catch let error as ModelError { throw error } catch {
            throw ModelError.invalidConfig("model section: \(error)")
        }
    }
}
