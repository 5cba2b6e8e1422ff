import Foundation

/// One model family: how to build it from a transformers config or a recipe section. (Unchecked
/// Sendable: its closures only call a model's initialiser, which captures nothing.)
public struct ModelFamily: @unchecked Sendable {
    public let modelType: String
    let fromConfig: (Data) throws -> any LanguageModel
    let fromRecipe: (Data, Int) throws -> any LanguageModel

    /// The family of `Model`, built by `make` from its configuration type (the shape of
    /// mlx-swift-examples' `create(LlamaConfiguration.self, LlamaModel.init)`).
    public static func create<Model: LanguageModel>(
        _ configuration: Model.Configuration.Type, _ make: @escaping (Model.Configuration) throws -> Model
    ) -> ModelFamily {
        ModelFamily(
            modelType: Model.modelType,
            fromConfig: { data in try make(try JSONDecoder().decode(configuration, from: data)) },
            fromRecipe: { data, vocabularySize in
                let section = try JSONDecoder().decode(Model.Configuration.RecipeSection.self, from: data)
                return try make(try Model.Configuration(recipe: section, vocabularySize: vocabularySize))
            })
    }
}

/// Every model family, keyed by transformers' `model_type`. A new family is a folder under
/// `Sources/Models/` and one line here; nothing else names a model.
public enum ModelRegistry {
    public static let families: [String: ModelFamily] = [
        "roberta": .create(RobertaConfig.self, RobertaForMaskedLM.init),
        "gptj": .create(GPTJConfig.self, GPTJForCausalLM.init),
    ]

    /// Checkpoints written before model families existed hold RoBERTa configs without `model_type`.
    public static let defaultModelType = "roberta"

    public static func family(_ modelType: String) throws -> ModelFamily {
        guard let family = families[modelType] else {
            throw ModelError.invalidConfig("model type \"\(modelType)\" is not known (known: \(families.keys.sorted().joined(separator: ", ")))")
        }
        return family
    }

    /// The model a transformers `config.json` (or a checkpoint's stored config) describes.
    public static func model(configJSON data: Data) throws -> any LanguageModel {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelError.invalidConfig("the config is not a JSON object")
        }
        let type = object["model_type"] as? String ?? defaultModelType
        do { return try family(type).fromConfig(data) } catch let error as ModelError { throw error } catch {
            throw ModelError.invalidConfig("not a \(type) config: \(error)")
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
