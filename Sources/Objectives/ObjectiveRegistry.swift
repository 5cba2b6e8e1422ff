import Models

/// Every pre-training objective, keyed by its name. A family names its default in
/// `LanguageModel.defaultObjective`; a new objective is a file in this folder (a type conforming
/// to `TokenRowsObjective`) and one line here.
public enum ObjectiveRegistry {
    public static let objectives: [String: any TokenRowsObjective.Type] = [
        MaskedLanguageModeling.name: MaskedLanguageModeling.self,
        CausalLanguageModeling.name: CausalLanguageModeling.self,
    ]

    public static var names: [String] { objectives.keys.sorted() }

    /// The objective `name` (the model's default when nil) for `model` trained on rows of `vocabulary`.
    public static func objective(named name: String? = nil, model: any LanguageModel, rows vocabulary: RowVocabulary) throws -> any TokenRowsObjective {
        let name = name ?? model.defaultObjective
        guard let objective = objectives[name] else { throw ObjectiveError.unknown(name) }
        return try objective.init(model: model, rows: vocabulary)
    }

    /// What scores a ready batch for `model` (`bertin eval`): its default objective for a language
    /// model, its head's cross-entropy for a classifier. Batches come labelled, so no masking is set up.
    public static func scoring(_ model: any TrainableModel) throws -> any TrainingObjective<TokenBatch> {
        if let classifier = model as? any ClassificationModel { return ClassificationObjective(classifier: classifier) }
        guard let languageModel = model as? any LanguageModel else {
            throw ObjectiveError.cannotScore("\(type(of: model).architecture) has no objective")
        }
        let none = RowVocabulary(vocabularySize: languageModel.vocabularySize, maskTokenID: nil, specialTokenIDs: [])
        guard let objective = try self.objective(model: languageModel, rows: none) as? any TrainingObjective<TokenBatch> else {
            throw ObjectiveError.cannotScore("\(languageModel.defaultObjective) does not score token batches")
        }
        return objective
    }
}
