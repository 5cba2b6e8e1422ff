import Foundation
import Models
import Tensor
import Testing
import Training

/// `bertin plan`'s arithmetic on GPT-J-6B, against ZeRO's per-rank formulas (Rajbhandari et al.
/// 2020, see MemoryPlan).
@Suite struct MemoryPlanTests {
    @Test func gptj6BOnEightRanks() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let (recipe, _) = try Recipe.load(path: root.appendingPathComponent("Recipes/bertin-gptj-6b.yaml").path)
        let model = try ModelRegistry.model(type: recipe.model.type, recipeSection: try recipe.model.settingsJSON, vocabularySize: 50_400)
        let plan = try MemoryPlan(model: model, recipe: recipe, ranks: 8)
        let psi = 6_050_882_784
        #expect(plan.parameterCount == psi)
        let shard = (psi + 7) / 8
        let stages = Dictionary(uniqueKeysWithValues: plan.stages.map { ($0.sharding, $0) })
        // Replicated: 16Ψ of state plus the 8Ψ Double accumulator.
        let replicated = try #require(stages[.replicated])
        #expect(replicated.parameters + replicated.gradients + replicated.moments == 16 * psi)
        #expect(replicated.accumulator == 8 * psi)
        // ZeRO-1: 8Ψ + 8Ψ/N, plus the owned Double sums and the bounded staging.
        let optimizer = try #require(stages[.optimizer])
        #expect(optimizer.parameters + optimizer.gradients + optimizer.moments == 8 * psi + 8 * shard)
        #expect(optimizer.accumulator == 8 * shard + 50 << 20)
        // ZeRO-3: 16Ψ/N of state; the embeddings and head gathered, a block and the next one (prefetched).
        let parameters = try #require(stages[.parameters])
        #expect(parameters.parameters + parameters.moments == 12 * shard)
        let block: Int = 4 * 4096 * 4096 + 2 * 16384 * 4096 + 16384 + 4096 + 2 * 4096
        let outside: Int = 50_400 * 4096 * 2 + 50_400 + 2 * 4096
        #expect(parameters.gatheredParameters == 4 * (outside + 2 * block))
        #expect(psi == 28 * block + outside)
        // Ring traffic: allreduce 2(p−1)/p of the Double buffer; ZeRO-1/2 reduce-scatter Double + all-gather fp32.
        let fraction: Double = 7.0 / 8
        let doubles = Double(8 * psi), floats = Double(4 * psi)
        #expect(replicated.communicated == [Int(2 * fraction * doubles)])
        #expect(optimizer.communicated == [Int(fraction * doubles + fraction * floats)])
        // Recomputed activations of one 2048-token row: 28 block inputs (0.94 GB) and the head's logits phase.
        let phase = try #require(plan.phases.first)
        #expect(phase.sequenceLength == 2048 && phase.perDeviceBatch == 1)
        let inputs: Int = 28 * 2048 * 4096
        let headPhase: Int = 2 * 2048 * 50_400 + 5 * 2048 * 4096
        let blockPhase: Int = 14 * 2048 * 4096 + 2 * 2048 * 16384 + 3 * 16 * 2048 * 2048 / 2
        #expect(phase.activation.recomputedFloats == inputs + max(headPhase, blockPhase))
    }
}
