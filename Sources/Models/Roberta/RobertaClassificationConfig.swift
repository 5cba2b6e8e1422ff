import Foundation

/// A RoBERTa encoder's config plus a classification head's: the labels (`id2label` / `label2id`)
/// and `classifier_dropout` (nil: the hidden dropout, as transformers does). One `config.json`
/// holds both, as in transformers.
public struct RobertaClassificationConfig: ClassificationConfiguration {
    public var base: RobertaConfig
    public var labels: [String]
    public var classifierDropout: Float?

    public init(base: RobertaConfig, labels: [String], classifierDropout: Float? = nil) {
        (self.base, self.labels, self.classifierDropout) = (base, labels, classifierDropout)
    }

    public init(base: Data, labels: [String]) throws {
        self.init(base: try JSONDecoder().decode(RobertaConfig.self, from: base), labels: labels)
    }

    /// The head's dropout probability.
    public var headDropout: Float { classifierDropout ?? base.hiddenDropout }

    func validate() throws {
        try base.validate()
        guard labels.count >= 2 else {
            throw ModelError.invalidConfig("a classification head needs at least two labels, got \(labels.count) (regression is not supported)")
        }
        guard Set(labels).count == labels.count else { throw ModelError.invalidConfig("labels must be distinct: \(labels)") }
        guard (0..<1).contains(headDropout) else { throw ModelError.invalidConfig("classifier_dropout must lie in [0, 1)") }
    }

    enum CodingKeys: String, CodingKey {
        case id2label, label2id, classifierDropout = "classifier_dropout"
    }

    public init(from decoder: Decoder) throws {
        base = try RobertaConfig(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        labels = try labelsFromID2Label(try c.decodeIfPresent([String: String].self, forKey: .id2label) ?? [:])
        classifierDropout = try c.decodeIfPresent(Float.self, forKey: .classifierDropout)
    }

    public func encode(to encoder: Encoder) throws {
        try base.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Dictionary(uniqueKeysWithValues: labels.enumerated().map { (String($0.offset), $0.element) }), forKey: .id2label)
        try c.encode(Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($0.element, $0.offset) }), forKey: .label2id)
        try c.encode(classifierDropout, forKey: .classifierDropout)
    }
}
