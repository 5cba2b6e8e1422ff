import Foundation
import Kernels
import Models
import Objectives
import Optimization
import Tensor
import Training

/// One device's full training step (forward, backward, AdamW) on random rows (masked like BERTIN's
/// collator for masked LMs), timed after warm-up steps. The peer script does the same with
/// transformers + PyTorch.
struct TrainBenchmark {
    let model: any LanguageModel
    let sequenceLength: Int
    let batch: Int

    struct Result: Encodable {
        let tokensPerSecond: Double
        let secondsPerStep: Double
        let peakResidentMegabytes: Double
        /// The most tensor memory (buffers above 64 KiB) live at once in a timed step, and what the
        /// tensor cache had mapped at the end: their difference is what per-size-class reuse costs.
        let peakTensorMegabytes: Double
        let mappedTensorMegabytes: Double
        let tensorMappingsPerStep: Double
        let parameters: Int
        let sgemmGigaflops: Double
    }

    func run(warmup: Int, steps: Int, seed: UInt64 = 1) throws -> Result {
        let vocabulary = model.vocabularySize
        // BERTIN's special tokens: <s> <pad> </s> <unk> <mask> are ids 0-4.
        let rows = RowVocabulary(vocabularySize: vocabulary, maskTokenID: 4, specialTokenIDs: [0, 1, 2, 3, 4])
        return try run(try ObjectiveRegistry.objective(model: model, rows: rows), warmup: warmup, steps: steps, seed: seed)
    }

    func run<Objective: TokenRowsObjective>(_ objective: Objective, warmup: Int, steps: Int, seed: UInt64) throws -> Result {
        let trainer = try Trainer(objective: objective, optimizer: AdamWConfiguration(schedule: .constant(1e-4)), seed: seed)
        let key = RandomKey(seed: seed, stream: RandomStream.benchmarkBatches)
        func rows(_ step: Int) -> [[Int32]] {
            (0..<batch).map { row in
                (0..<sequenceLength).map { column in
                    column == 0 ? 0 : Int32(5 + Int(key.uniform(at: (step * batch + row) * sequenceLength + column) * Double(vocabulary - 5)))
                }
            }
        }
        let vocabulary = model.vocabularySize
        for step in 0..<warmup { try trainer.step([[try objective.batch(rows: rows(step), seed: seed, step: step, device: 0, micro: 0)]]) }
        let inputs = try (0..<steps).map { try objective.batch(rows: rows(warmup + $0), seed: seed, step: warmup + $0, device: 0, micro: 0) }
        TensorBufferCache.shared.resetPeak()
        let mappingsBefore = TensorBufferCache.shared.statistics.mappings
        let started = Date()
        for input in inputs { try trainer.step([[input]]) }
        let seconds = Date().timeIntervalSince(started)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Result(tokensPerSecond: Double(steps * batch * sequenceLength) / seconds, secondsPerStep: seconds / Double(steps),
                      peakResidentMegabytes: Double(usage.ru_maxrss) / 1024,
                      peakTensorMegabytes: Double(TensorBufferCache.shared.statistics.peakLive) / 1_048_576,
                      mappedTensorMegabytes: Double(TensorBufferCache.shared.statistics.mapped) / 1_048_576,
                      tensorMappingsPerStep: Double(TensorBufferCache.shared.statistics.mappings - mappingsBefore) / Double(steps), parameters: trainer.parameters.parameterCount,
                      sgemmGigaflops: measureSgemm())
    }

    /// sgemm GFLOP/s on the model's own largest product shape (tokens × hidden → intermediate), median of 5.
    func measureSgemm() -> Double {
        // The first largest weight matrix that is not a vocabulary table: the MLP's input, [F, C].
        let matrices = model.layout.map(\.shape).filter { $0.count == 2 && !$0.contains(model.vocabularySize) }
        let widest = matrices.reduce(matrices[0]) { $1.reduce(1, *) > $0.reduce(1, *) ? $1 : $0 }
        let (m, k, n) = (batch * sequenceLength, widest[1], widest[0])
        let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: n * k)
        var c = [Float](repeating: 0, count: m * n)
        var times: [Double] = []
        for _ in 0..<5 {
            let started = Date()
            c.withUnsafeMutableBufferPointer { output in
                gemm(transposeA: false, transposeB: true, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, beta: 0, c: output.baseAddress!, ldc: n)
            }
            times.append(Date().timeIntervalSince(started))
        }
        return 2 * Double(m * n * k) / times.sorted()[2] / 1e9
    }
}
