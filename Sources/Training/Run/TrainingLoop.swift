import Distributed
import Foundation
import Objectives

/// The one loop of every run, pre-training and fine-tuning alike: take the next update's device
/// batches, step, record, evaluate when due, checkpoint when due (every rank meets after a
/// checkpoint, which rank 0 may still be writing), and stop after the update in which some rank
/// was asked to stop. What differs between runs comes in through four seams.
public struct TrainingLoop<Objective: TrainingObjective> {
    /// One update's input: `batches[d][m]` is micro-batch m of this rank's d-th device.
    public struct Update {
        public var batches: [[Objective.Batch]]
        /// The schedule's rate for this update (nil: the optimizer's own schedule).
        public var learningRate: Float?

        public init(batches: [[Objective.Batch]], learningRate: Float?) { (self.batches, self.learningRate) = (batches, learningRate) }
    }

    public let trainer: Trainer<Objective>
    public let runtime: MPIRuntime
    /// The next update of this segment (a phase, an epoch); nil when the segment is over.
    public var nextUpdate: () throws -> Update?
    /// Rank 0's record of an update and how long it took (does nothing on other ranks).
    public var record: (StepResult, _ stepSeconds: Double) throws -> Void = { _, _ in }
    /// Called on every rank after every update; evaluates when due (collectively, or on rank 0
    /// alone for a replicated model).
    public var evaluate: (StepResult) throws -> Void = { _ in }
    /// Writes a checkpoint when due after this update (always when `stopping`) and says whether
    /// it did: every rank then waits for rank 0 at a barrier.
    public var checkpoint: (StepResult, _ stopping: Bool) throws -> Bool = { _, _ in false }

    /// Runs until the segment is over or a stop was asked; returns whether it stopped early.
    public init(trainer: Trainer<Objective>, runtime: MPIRuntime, nextUpdate: @escaping () throws -> Update?) {
        (self.trainer, self.runtime, self.nextUpdate) = (trainer, runtime, nextUpdate)
    }

    public func run() throws -> Bool {
        var lastStepTime = Date()
        while let update = try nextUpdate() {
            let result = try trainer.step(update.batches, learningRate: update.learningRate)
            let now = Date()
            try record(result, now.timeIntervalSince(lastStepTime))
            lastStepTime = now
            try evaluate(result)
            if try checkpoint(result, result.stopRequested) {
                runtime.barrier(what: "rank 0's checkpoint of step \(trainer.step)")
            }
            if result.stopRequested { return true }
        }
        return false
    }
}
