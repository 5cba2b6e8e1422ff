import Corpus
import Distributed
import Foundation
import Models
import Tensor

/// What one rank holds and sends per step at each sharding stage (`bertin plan`): ZeRO's arithmetic
/// (Rajbhandari et al. 2020: per rank of N, fp32 AdamW takes 16Ψ bytes replicated, 8Ψ + 8Ψ/N at
/// stage 1, 4Ψ + 12Ψ/N at stage 2, 16Ψ/N at stage 3; ring collectives move 2(N−1)/N of a buffer
/// per allreduce, (N−1)/N per reduce-scatter or all-gather) applied to this trainer's buffers, which include a Double gradient
/// accumulator (sums that no layout can change) and, sharded, the Double sums of the rank's own range.
public struct MemoryPlan: Sendable {
    public struct Phase: Sendable {
        public var name: String
        public var perDeviceBatch: Int
        public var sequenceLength: Int
        /// Whether the length was read from prepared rows (false: the model's longest row, assumed).
        public var lengthFromRows: Bool
        public var activation: ActivationEstimate
    }

    /// One stage's bytes per rank.
    public struct Stage: Sendable {
        public var sharding: Sharding
        public var parameters: Int
        /// ZeRO-3: parameters gathered at a time (outside blocks for the step, a block and the next, prefetched).
        public var gatheredParameters: Int
        public var gradients: Int
        public var accumulator: Int
        public var moments: Int
        /// Per phase: the tape's peak recording everything and recomputing blocks.
        public var activations: [(recorded: Int, recomputed: Int)]
        /// Bytes one rank sends per optimizer step (ring algorithms), per phase.
        public var communicated: [Int]

        /// The largest total over phases, recording everything or recomputing blocks.
        public func peak(recompute: Bool, runtime: Int) -> Int {
            let activation = activations.map { recompute ? $0.recomputed : $0.recorded }.max() ?? 0
            return parameters + gatheredParameters + gradients + accumulator + moments + activation + runtime
        }
    }

    public let ranks: Int
    public let devicesPerRank: Int
    public let parameterCount: Int
    public let phases: [Phase]
    public let stages: [Stage]
    /// Binary, MPI, OpenBLAS and the row index: measured at about 75 MiB per rank on a tiny model.
    public static let runtimeBytes = 75 << 20

    public init(model: any LanguageModel, recipe: Recipe, ranks: Int) throws {
        try recipe.validate(ranks: ranks)
        self.ranks = ranks
        devicesPerRank = recipe.devices / ranks
        parameterCount = model.parameterCount
        var phases: [Phase] = []
        for phase in recipe.phases {
            let rows = try? TokenRows(directory: phase.rows, split: "train")
            let length = rows?.sequenceLength ?? model.maxSequenceLength
            phases.append(Phase(name: phase.name, perDeviceBatch: phase.perDeviceBatch, sequenceLength: length, lengthFromRows: rows != nil,
                                activation: model.activationEstimate(batch: phase.perDeviceBatch, sequenceLength: length)))
        }
        self.phases = phases
        let p = parameterCount
        let owned = (p + ranks - 1) / ranks
        let fraction = Double(ranks - 1) / Double(ranks)
        let devices = recipe.devices
        let blocks = phases.first?.activation.blockCount ?? 0
        let blockParameters = phases.first?.activation.blockParameters ?? 0
        let outsideBlocks = p - blocks * blockParameters
        // The tensor buffer cache may keep its slack beyond the most ever live, all resident.
        func cached(_ floats: Int) -> Int { 4 * floats + Int(Double(4 * floats) * TensorBufferCache.defaultSlack) }
        let activations = phases.map { (recorded: cached($0.activation.recordedFloats), recomputed: cached($0.activation.recomputedFloats)) }
        stages = Sharding.allCases.map { sharding in
            let sharded = sharding.isSharded && ranks > 1
            var stage = Stage(sharding: sharding, parameters: 4 * p, gatheredParameters: 0, gradients: 4 * p,
                              accumulator: devices > 1 ? 8 * p : 0, moments: 8 * p, activations: activations, communicated: [])
            if sharded {
                stage.moments = 8 * owned
                // Several devices per rank add up in a full Double accumulator; one device stages each bucket.
                stage.accumulator = 8 * owned + (devices / ranks > 1 ? 8 * p : GradientReducer.stagingBytes)
                if sharding != .optimizer { stage.gradients = 4 * owned + GradientReducer.bucketBytes / 2 + 4 * blockParameters }
                if sharding == .parameters {
                    stage.parameters = 4 * owned
                    // Embeddings and head for the step, the block at work and the next one prefetched.
                    stage.gatheredParameters = 4 * (outsideBlocks + 2 * blockParameters)
                }
            }
            stage.communicated = recipe.phases.map { phase in
                guard ranks > 1 else { return 0 }
                if !sharded { return Int(2 * fraction * Double(8 * p)) }
                let scatter = fraction * Double(8 * p)
                if sharding != .parameters { return Int(scatter + fraction * Double(4 * p)) }
                // Every block gathered for its forward and again for its backward, per micro-batch and local device.
                let passes = Double(phase.accumulation * (devices / ranks))
                return Int(scatter + fraction * (Double(4 * outsideBlocks) + passes * 2 * Double(4 * blocks * blockParameters)))
            }
            return stage
        }
    }
}
