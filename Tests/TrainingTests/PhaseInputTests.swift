import Foundation
import Testing
import TestSupport

/// What a run reads besides its recipe: the eval split (what evaluation logs, that ranks sum it as
/// one process does, and that a split it cannot use is an error when damaged and a named warning
/// when absent or too small), and every later phase's rows and initialize_from checkpoint,
/// checked before the first step.
extension MPITrainingTests {
    /// (step, eval_loss, eval_accuracy) of each eval line of a run's metrics.jsonl.
    static func evalLines(_ folder: URL) throws -> [(step: Int, loss: Double, accuracy: Double)] {
        try String(contentsOf: folder.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").compactMap { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            guard let loss = object["eval_loss"] as? Double else { return nil }
            return (object["step"] as! Int, loss, object["eval_accuracy"] as! Double)
        }
    }

    /// A copy of the prepared 128-token rows whose index or eval shard `damage` may change.
    static func rowsCopy(_ name: String, _ damage: (URL) throws -> Void) throws -> URL {
        let copy = folder(name)
        try FileManager.default.copyItem(at: data.appendingPathComponent("rows128"), to: copy)
        try damage(copy)
        return copy
    }

    @Test func evaluationIsLoggedAndRanksSumItAsOneProcess() throws {
        let steps = ["phases.0.steps=4", "phases.1.steps=2", "eval_every=2", "eval_batches=2"]
        let plain = Self.folder("eval-plain"), ranked = Self.folder("eval-np2")
        let one = try Self.train(ranks: nil, output: plain, steps)
        #expect(one.status == 0, "\(one.output)")
        let two = try Self.train(ranks: 2, output: ranked, steps)
        #expect(two.status == 0, "\(two.output)")
        let expected = try Self.evalLines(plain), summed = try Self.evalLines(ranked)
        let described = expected.map { line in "step \(line.step) loss \(line.loss) accuracy \(line.accuracy)" }
        print("eval lines: \(described)")
        // Every eval_every steps and at each phase's end.
        #expect(expected.map { $0.step } == [2, 4, 6])
        for line in expected {
            // A 2-layer model on an 8000-token vocabulary starts near ln 8000 = 9.0 and only falls.
            #expect(line.loss > 1 && line.loss < 10, "eval loss \(line.loss) at step \(line.step)")
            #expect(line.accuracy >= 0 && line.accuracy <= 1)
        }
        #expect(expected.count == 3 && expected[1].loss < expected[0].loss, "the eval loss falls over phase 0: \(expected.map { $0.loss })")
        // Two ranks sum loss sums and token counts over all eight devices as the one process does.
        #expect(summed.count == expected.count)
        for (a, b) in zip(summed, expected) {
            let same = a.step == b.step && a.loss.bitPattern == b.loss.bitPattern && a.accuracy.bitPattern == b.accuracy.bitPattern
            #expect(same, "np 2 \(a) vs plain \(b)")
        }
    }

    @Test func aDamagedEvalSplitIsAnErrorNamingTheShard() throws {
        let rows = try Self.rowsCopy("eval-damaged") { folder in
            let shard = folder.appendingPathComponent("eval-00002-0000.u16")
            let bytes = try Data(contentsOf: shard)
            try bytes.prefix(bytes.count / 2).write(to: shard)
        }
        let run = Self.folder("eval-damaged-run")
        let outcome = try Self.train(ranks: nil, output: run, ["phases.0.rows=\(rows.path)", "phases.0.steps=2", "phases.0.warmup_steps=1", "phases.1.steps=1"])
        #expect(outcome.status != 0)
        #expect(outcome.output.contains(rows.appendingPathComponent("eval-00002-0000.u16").path), "\(outcome.output)")
        let written = (try? FileManager.default.contentsOfDirectory(atPath: run.path)) ?? []
        #expect(!written.contains { $0.hasPrefix("step-") }, "the run stopped before its first step: \(written)")
    }

    @Test func anAbsentOrTooSmallEvalSplitIsANamedWarning() throws {
        let rows = try Self.rowsCopy("eval-absent") { folder in
            let index = folder.appendingPathComponent("index.json")
            var object = try JSONSerialization.jsonObject(with: Data(contentsOf: index)) as! [String: Any]
            var splits = object["splits"] as! [String: Any]
            splits["eval"] = nil
            object["splits"] = splits
            try JSONSerialization.data(withJSONObject: object).write(to: index)
        }
        let absent = Self.folder("eval-absent-run")
        let outcome = try Self.train(ranks: nil, output: absent, ["phases.0.rows=\(rows.path)", "phases.0.steps=2", "phases.0.warmup_steps=1", "phases.1.steps=1", "eval_every=1"])
        #expect(outcome.status == 0, "\(outcome.output)")
        let index = rows.appendingPathComponent("index.json").path
        #expect(outcome.output.contains("warning: \(index) has no eval split: phase seq128 trains without evaluation"), "\(outcome.output)")
        #expect(try Self.evalLines(absent).map { $0.step } == [3], "only phase seq512 evaluates")

        // 984 eval rows of 128 against a global batch of 8 × 150.
        let small = Self.folder("eval-small-run")
        let run = try Self.train(ranks: nil, output: small, ["phases.0.per_device_batch=150", "phases.0.steps=1", "phases.0.warmup_steps=0", "phases.1.steps=1", "eval_every=1"])
        #expect(run.status == 0, "\(run.output)")
        let rows128 = Self.data.appendingPathComponent("rows128/index.json").path
        #expect(run.output.contains("warning: \(rows128): the eval split's 984 rows are fewer than one global batch of 1200: phase seq128 trains without evaluation"),
                "\(run.output)")
        #expect(try Self.evalLines(small).map { $0.step } == [2])
    }

    @Test func laterPhasesInputsAreCheckedBeforeTheFirstStep() throws {
        let missing = Self.folder("missing-initialize-from")
        let source = missing.path + "-nothing.h5"
        let first = try Self.train(ranks: nil, output: missing, ["phases.0.steps=2", "phases.0.warmup_steps=1", "phases.1.steps=1", "phases.1.initialize_from=\(source)"])
        #expect(first.status != 0)
        #expect(first.output.contains("phases.1.initialize_from: \(source): no such file"), "\(first.output)")
        #expect(!((try? FileManager.default.contentsOfDirectory(atPath: missing.path)) ?? []).contains { $0.hasPrefix("step-") })

        // Phase 1's rows of 512 do not fit 130 positions (128 tokens + RoBERTa's offset of 2).
        let short = Self.folder("rows-too-long")
        let second = try Self.train(ranks: nil, output: short, ["phases.0.steps=2", "phases.0.warmup_steps=1", "phases.1.steps=1", "model.max_position_embeddings=130"])
        #expect(second.status != 0)
        #expect(second.output.contains("phase seq512: rows of 512 tokens are longer than the model's 128 positions"), "\(second.output)")
        #expect(!((try? FileManager.default.contentsOfDirectory(atPath: short.path)) ?? []).contains { $0.hasPrefix("step-") })
    }
}
