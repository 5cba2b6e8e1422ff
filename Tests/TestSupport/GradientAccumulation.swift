import Kernels
import Tensor

// Test support: the plain way to accumulate gradients over micro-batches, which the tests hold the
// trainer's bucketed accumulation against. Nothing in Sources uses it.

extension ParameterStore {
    /// Gradient accumulation (optax `MultiSteps`): clears the gradients, adds the gradient of each
    /// of `microBatches` losses, then divides by their number, so the optimizer sees their mean.
    /// Returns the mean loss. Each micro-batch's tape is freed before the next one starts.
    @discardableResult
    public func accumulateGradients(microBatches: Int, _ loss: (Int, Parameters) throws -> Tensor) throws -> Float {
        guard microBatches > 0 else {
            throw TensorError.invalidArgument(operation: "accumulateGradients", reason: "needs at least one micro-batch")
        }
        zeroGradients()
        var total: Double = 0
        for index in 0..<microBatches {
            total += Double(try valueWithGradient { try loss(index, $0) })
        }
        if microBatches > 1 {
            Kernels.scale(gradients.baseAddress!, by: 1 / Float(microBatches), count: gradients.count)
        }
        return Float(total / Double(microBatches))
    }
}
