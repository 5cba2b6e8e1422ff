/// Accuracy and macro-averaged F1 of one label per example, as scikit-learn's `accuracy_score`
/// and `f1_score(average="macro")` compute them: per-label F1 `2·tp / (2·tp + fp + fn)` over the
/// labels present in the gold or predicted labels (0 where a label has no tp, fp or fn), then
/// their plain mean.
public struct LabelMetrics: Equatable, Sendable {
    public var accuracy: Double
    public var macroF1: Double
    public var count: Int

    public init(gold: [String], predicted: [String]) {
        precondition(gold.count == predicted.count, "one prediction per gold label")
        count = gold.count
        accuracy = gold.isEmpty ? 0 : Double(zip(gold, predicted).filter { $0 == $1 }.count) / Double(gold.count)
        let labels = Set(gold).union(predicted).sorted()
        let scores = labels.map { label -> Double in
            let tp = zip(gold, predicted).filter { $0 == label && $1 == label }.count
            let fp = zip(gold, predicted).filter { $0 != label && $1 == label }.count
            let fn = zip(gold, predicted).filter { $0 == label && $1 != label }.count
            let denominator = 2 * tp + fp + fn
            return denominator == 0 ? 0 : Double(2 * tp) / Double(denominator)
        }
        macroF1 = scores.isEmpty ? 0 : scores.reduce(0, +) / Double(scores.count)
    }
}
