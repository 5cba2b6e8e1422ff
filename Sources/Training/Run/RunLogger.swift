import Foundation

/// Rank 0's record of a run: the progress line, `metrics.jsonl` and TensorBoard scalars. Other
/// ranks hold none (only the main process does I/O).
public final class RunLogger {
    let folder: URL
    let print: (String) -> Void
    public let tensorBoard: TensorBoardWriter
    /// What the objective's accuracy is called ("mlm_accuracy").
    let accuracyName: String

    public init(folder: URL, accuracyName: String, print: @escaping (String) -> Void) throws {
        self.folder = folder
        self.print = print
        self.accuracyName = accuracyName
        tensorBoard = try TensorBoardWriter(folder: folder.appendingPathComponent("tensorboard").path)
    }

    /// "mlm acc" for "mlm_accuracy".
    var accuracyLabel: String { accuracyName.replacingOccurrences(of: "_accuracy", with: " acc").replacingOccurrences(of: "_", with: " ") }

    struct StepLine {
        let step: Int, totalSteps: Int, phase: String
        let result: StepResult
        let tokensPerSecond: Double, stepSeconds: Double, remainingSeconds: Double
    }

    func step(_ line: StepLine, printing: Bool) throws {
        let r = line.result
        if printing {
            print(String(format: "step %d/%d %@ | loss %.4f | %@ %.3f | lr %.2e | %.0f tok/s | eta %@",
                         line.step, line.totalSteps, line.phase, r.loss, accuracyLabel, r.accuracy, r.learningRate,
                         line.tokensPerSecond, Self.duration(line.remainingSeconds)))
        }
        try tensorBoard.add([("train/loss", Double(r.loss)), ("train/\(accuracyName)", r.accuracy),
                             ("train/learning_rate", Double(r.learningRate)), ("train/gradient_norm", r.gradientNorm),
                             ("train/tokens_per_second", line.tokensPerSecond)], step: line.step)
        try appendMetrics(["step": line.step, "phase": line.phase, "loss": Double(r.loss), "accuracy": r.accuracy,
                           "learning_rate": Double(r.learningRate), "gradient_norm": r.gradientNorm,
                           "tokens_per_second": line.tokensPerSecond, "step_seconds": line.stepSeconds,
                           "communication_wait_seconds": r.communicationWaitSeconds])
    }

    func evaluation(step: Int, phase: String, loss: Double, accuracy: Double) throws {
        print(String(format: "eval at step %d %@ | loss %.4f | %@ %.3f", step, phase, loss, accuracyLabel, accuracy))
        try appendMetrics(["step": step, "phase": phase, "eval_loss": loss, "eval_accuracy": accuracy])
        try tensorBoard.add([("eval/loss", loss), ("eval/\(accuracyName)", accuracy)], step: step)
    }

    public func appendMetrics(_ fields: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) + Data("\n".utf8)
        let path = folder.appendingPathComponent("metrics.jsonl").path
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let total = Int(seconds.rounded())
        return total >= 3600 ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60) : String(format: "%d:%02d", total / 60, total % 60)
    }
}
