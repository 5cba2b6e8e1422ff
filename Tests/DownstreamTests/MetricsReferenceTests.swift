import Downstream
import Foundation
import Testing

/// Our metrics against seqeval 1.2.2 and scikit-learn 1.9.1 (Scripts/reference/make-downstream-fixture.py).
@Suite struct MetricsReferenceTests {
    struct Case {
        let name: String, gold: [[String]], predicted: [[String]]
        let goldEntities: [[Any]], predictedEntities: [[Any]]
        let precision: Double, recall: Double, f1: Double, accuracy: Double
        let byType: [String: [Double]]

        init(_ object: [String: Any]) {
            name = object["name"] as! String
            gold = object["gold"] as! [[String]]
            predicted = object["predicted"] as! [[String]]
            goldEntities = object["gold_entities"] as! [[Any]]
            predictedEntities = object["predicted_entities"] as! [[Any]]
            (precision, recall, f1, accuracy) = (Self.double(object["precision"]), Self.double(object["recall"]), Self.double(object["f1"]), Self.double(object["accuracy"]))
            byType = (object["by_type"] as! [String: [Any]]).mapValues { $0.map { Self.double($0) } }
        }

        /// The fixture writes floats as repr strings: Foundation's JSON parser on Linux can be a ulp off.
        static func double(_ value: Any?) -> Double { Double(value as! String)! }
    }

    static let cases = try! (Fixtures.json("seqeval.json") as! [[String: Any]]).map(Case.init)

    static func entities(_ list: [[Any]]) -> [EntityMetrics.Entity] {
        list.map { EntityMetrics.Entity(type: $0[0] as! String, start: ($0[1] as! NSNumber).intValue, end: ($0[2] as! NSNumber).intValue) }
    }

    @Test func entitiesAreSeqevals() {
        for reference in Self.cases {
            #expect(EntityMetrics.entities(reference.gold) == Self.entities(reference.goldEntities), "\(reference.name): gold entities")
            #expect(EntityMetrics.entities(reference.predicted) == Self.entities(reference.predictedEntities), "\(reference.name): predicted entities")
        }
    }

    /// Bit for bit: the same divisions in the same order as seqeval.
    @Test func scoresAreSeqevalsToTheBit() {
        #expect(Self.cases.count == 112)
        for reference in Self.cases {
            let metrics = EntityMetrics(gold: reference.gold, predicted: reference.predicted)
            #expect(metrics.overall.precision == reference.precision, "\(reference.name): precision")
            #expect(metrics.overall.recall == reference.recall, "\(reference.name): recall")
            #expect(metrics.overall.f1 == reference.f1, "\(reference.name): f1 \(metrics.overall.f1) vs \(reference.f1)")
            #expect(metrics.accuracy == reference.accuracy, "\(reference.name): accuracy")
            #expect(Set(metrics.byType.keys) == Set(reference.byType.keys), "\(reference.name): entity types")
            for (type, expected) in reference.byType {
                let score = metrics.byType[type]
                #expect(score.map { [$0.precision, $0.recall, $0.f1, Double($0.support)] } == expected, "\(reference.name): \(type)")
            }
        }
    }

    @Test func handMadeEdgeCases() {
        // Sentence-final entity, IOB1 start, adjacent same-type entities, BIOES are among the cases.
        let names = Set(Self.cases.map(\.name))
        for name in ["entity at sentence end", "I- without B- (IOB1 start)", "adjacent same-type entities", "BIOES", "IOE"] {
            #expect(names.contains(name))
        }
        let adjacent = EntityMetrics.entities([["B-PER", "B-PER", "I-PER", "O"]])
        #expect(adjacent == [.init(type: "PER", start: 0, end: 0), .init(type: "PER", start: 1, end: 2)])
        let end = EntityMetrics(gold: [["O", "B-LOC"]], predicted: [["O", "B-LOC"]])
        #expect(end.overall.f1 == 1 && end.overall.support == 1)
    }

    @Test func labelMetricsAreScikitLearns() throws {
        let cases = try Fixtures.json("label-metrics.json") as! [[String: Any]]
        #expect(cases.count == 30)
        for (index, reference) in cases.enumerated() {
            let metrics = LabelMetrics(gold: reference["gold"] as! [String], predicted: reference["predicted"] as! [String])
            #expect(metrics.accuracy == Case.double(reference["accuracy"]), "case \(index): accuracy")
            let f1 = Case.double(reference["macro_f1"])
            // numpy's mean may sum pairwise: allow its last bits, nothing more.
            #expect(abs(metrics.macroF1 - f1) <= 4 * f1.ulp, "case \(index): macro F1 \(metrics.macroF1) vs \(f1)")
        }
    }
}
