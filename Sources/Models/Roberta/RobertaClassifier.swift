import Foundation
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

    /// transformers' `_init_weights` for the encoder and the head alike.
    public func initialize(_ store: ParameterStore, seed: UInt64) throws { try encoder.initialize(store, seed: seed) }

    public static var transformersNames: TransformersNames { RobertaForMaskedLM.encoderOnlyNames }

    /// The encoder's keys, the labels and `classifier_dropout`.
    public func transformersConfig(mergingInto original: String?) throws -> [String: Any] {
        var object = try robertaTransformersConfig(config.base, mergingInto: original)
        object["id2label"] = Dictionary(uniqueKeysWithValues: config.labels.enumerated().map { (String($0.offset), $0.element) })
        object["label2id"] = Dictionary(uniqueKeysWithValues: config.labels.enumerated().map { ($0.element, $0.offset) })
        object["num_labels"] = nil
        object["classifier_dropout"] = config.classifierDropout.map { Double("\($0)")! } ?? NSNull()
        return object
    }
}
