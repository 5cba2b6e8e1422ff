/// What a parameter is, for the initialiser and the weight-decay mask: biases and normalisation
/// scales are treated apart from weights and embeddings. Each model family says which of its
/// parameters is which (`TrainableModel.role(of:)`): the names are the family's knowledge.
public enum ParameterRole: Equatable, Sendable {
    case weight
    case bias
    case normalizationScale
}
