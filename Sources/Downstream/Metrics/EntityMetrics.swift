/// Entity-level precision, recall and F1 exactly as seqeval 1.2.2 computes them in its default
/// (conlleval-compatible) mode, which reads IOB1, IOB2, IOE and IOBES/BIOES tags with one set of
/// chunk rules. Sentences are joined with an `O` between them, as seqeval does with lists of
/// sentences; micro averages are computed over all entity types, and divisions by zero give 0
/// (seqeval's `zero_division="warn"` value).
public struct EntityMetrics: Equatable, Sendable {
    public struct Score: Equatable, Sendable {
        public var precision: Double, recall: Double, f1: Double
        /// Gold entities.
        public var support: Int
    }

    public var overall: Score
    /// Per entity type, as seqeval's classification report.
    public var byType: [String: Score]
    /// Words whose predicted tag equals the gold one, over all words (seqeval's `accuracy_score`).
    public var accuracy: Double

    public init(gold: [[String]], predicted: [[String]]) {
        precondition(gold.count == predicted.count && zip(gold, predicted).allSatisfy { $0.count == $1.count }, "one prediction per gold tag")
        let trueEntities = Self.entities(gold), predictedEntities = Self.entities(predicted)
        let types = Set(trueEntities.map(\.type)).union(predictedEntities.map(\.type)).sorted()
        var byType: [String: Score] = [:]
        var totals = (tp: 0, predicted: 0, gold: 0)
        for type in types {
            let truth = Set(trueEntities.filter { $0.type == type }.map { [$0.start, $0.end] })
            let guess = Set(predictedEntities.filter { $0.type == type }.map { [$0.start, $0.end] })
            let tp = truth.intersection(guess).count
            byType[type] = Self.score(tp: tp, predicted: guess.count, gold: truth.count)
            totals = (totals.tp + tp, totals.predicted + guess.count, totals.gold + truth.count)
        }
        overall = Self.score(tp: totals.tp, predicted: totals.predicted, gold: totals.gold)
        self.byType = byType
        let words = gold.reduce(0) { $0 + $1.count }
        let correct = zip(gold, predicted).reduce(0) { sum, pair in sum + zip(pair.0, pair.1).filter { $0 == $1 }.count }
        accuracy = words == 0 ? 0 : Double(correct) / Double(words)
    }

    /// seqeval's `_prf_divide` and F-score with beta 1: `(1 + 1) · p · r / (p + r)`, evaluated in
    /// that order so the bits agree.
    static func score(tp: Int, predicted: Int, gold: Int) -> Score {
        let precision = predicted == 0 ? 0 : Double(tp) / Double(predicted)
        let recall = gold == 0 ? 0 : Double(tp) / Double(gold)
        let denominator = precision + recall
        let f1 = 2.0 * precision * recall / (denominator == 0 ? 1 : denominator)
        return Score(precision: precision, recall: recall, f1: f1, support: gold)
    }

    public struct Entity: Equatable, Hashable, Sendable {
        public var type: String
        /// First and last tag index (inclusive) in the joined sequence.
        public var start: Int, end: Int

        public init(type: String, start: Int, end: Int) { (self.type, self.start, self.end) = (type, start, end) }
    }

    /// seqeval's `get_entities` over sentences joined with `O` separators.
    public static func entities(_ sentences: [[String]]) -> [Entity] {
        entities(sentences.flatMap { $0 + ["O"] })
    }

    /// seqeval's `get_entities(seq, suffix=False)`: the tag is the first character, the type what
    /// follows the first `-` after it (`_` when empty).
    public static func entities(_ sequence: [String]) -> [Entity] {
        var chunks: [Entity] = []
        var previousTag: Character = "O", previousType = "", begin = 0
        for (index, chunk) in (sequence + ["O"]).enumerated() {
            let tag = chunk.first ?? "O"
            let rest = chunk.dropFirst()
            let afterDash = rest.firstIndex(of: "-").map { String(rest[rest.index(after: $0)...]) } ?? String(rest)
            let type = afterDash.isEmpty ? "_" : afterDash
            if endOfChunk(previousTag, tag, previousType, type) { chunks.append(Entity(type: previousType, start: begin, end: index - 1)) }
            if startOfChunk(previousTag, tag, previousType, type) { begin = index }
            (previousTag, previousType) = (tag, type)
        }
        return chunks
    }

    static func endOfChunk(_ previousTag: Character, _ tag: Character, _ previousType: String, _ type: String) -> Bool {
        if previousTag == "E" || previousTag == "S" { return true }
        if (previousTag == "B" || previousTag == "I") && (tag == "B" || tag == "S" || tag == "O") { return true }
        return previousTag != "O" && previousTag != "." && previousType != type
    }

    static func startOfChunk(_ previousTag: Character, _ tag: Character, _ previousType: String, _ type: String) -> Bool {
        if tag == "B" || tag == "S" { return true }
        if (previousTag == "E" || previousTag == "S" || previousTag == "O") && (tag == "E" || tag == "I") { return true }
        return tag != "O" && tag != "." && previousType != type
    }
}
