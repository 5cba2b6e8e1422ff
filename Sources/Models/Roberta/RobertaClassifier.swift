import Tensor

/// What RoBERTa's classification heads share: the encoder under them, its initialisation, the
/// files' names and the config with labels. A head adds its layers and its dropout sites.
public protocol RobertaClassifier: ClassificationModel where Configuration == RobertaClassificationConfig {
    var encoder: RobertaEncoder { get }
    /// Dropout sites of the head, after the encoder's.
    static var headDropoutSites: Int { get }
}

extension RobertaClassifier {
    public static var modelType: String { "roberta" }
    public static var baseModelType: String { "roberta" }

    public var dropoutSiteCount: Int { encoder.dropoutSiteCount + Self.headDropoutSites }
    public var maxSequenceLength: Int { encoder.maxSequenceLength }
    public func role(of name: String) -> ParameterRole { RobertaEncoder.role(of: name) }
    public var tensorsPerBlock: Int { encoder.tensorsPerBlock }

    /// transformers' `_init_weights` for the encoder and the head alike.
    public func initialize(_ store: ParameterStore, seed: UInt64) throws { try encoder.initialize(store, seed: seed) }

    public static var transformersNames: TransformersNames { RobertaForMaskedLM.encoderOnlyNames }

    /// The encoder's keys, the labels (`id2label`, `label2id`) and `classifier_dropout`, as
    /// `RobertaClassificationConfig` encodes them.
    public func transformersConfig(mergingInto original: String?) throws -> [String: Any] {
        var floats = robertaConfigFloats(config.base)
        if let dropout = config.classifierDropout { floats["classifier_dropout"] = dropout }
        return try mergedConfig(config, into: original, floats: floats, extra: ["tie_word_embeddings": true])
    }
}
