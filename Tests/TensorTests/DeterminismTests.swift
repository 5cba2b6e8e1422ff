@testable import Kernels
import Testing
import TestSupport
@testable import Tensor

/// The same computation with 1 and with 2 threads gives bitwise-equal values and gradients:
/// every kernel of ours partitions work so that no sum's order depends on the thread count.
/// OpenBLAS's count stays as it is (this process's default, all cores): its products are not
/// bitwise equal across thread counts on every core (see `ComputeThreads`), and suites of other
/// targets run beside this one in the same process. What OpenBLAS does promise at the sizes where
/// it threads, the same bits at the same thread count, is tested here too.
@Suite(.serialized) struct DeterminismTests {
    func run(threads: Int) throws -> (loss: Float, gradients: [Float]) {
        let saved = ComputeThreads.count
        defer { ComputeThreads.setOwnKernelThreads(saved) }
        ComputeThreads.setOwnKernelThreads(threads)
        let model = TinyEncoder()
        let store = try model.makeStore(seed: 100)
        let loss = try store.valueWithGradient { try model.loss($0, key: RandomKey(seed: 5, step: 1)) }
        return (loss, Array(store.gradients))
    }

    @Test func oneAndTwoThreadsAgreeBitwise() throws {
        let one = try run(threads: 1), two = try run(threads: 2)
        #expect(one.loss.bitPattern == two.loss.bitPattern)
        let differing = differingBits(one.gradients, two.gradients)
        #expect(differing == 0, "\(differing) gradient elements differ between 1 and 2 threads")
        #expect(one.gradients.contains { $0 != 0 }, "the gradients are not trivially zero")
    }

    @Test func largeReductionsAgreeBitwise() throws {
        // Shapes big enough that every kernel splits its work across threads.
        let x = randomTensor([64, 48, 200], seed: 9)
        func reduce(threads: Int) throws -> [[Float]] {
            let saved = ComputeThreads.count
            defer { ComputeThreads.setOwnKernelThreads(saved) }
            ComputeThreads.setOwnKernelThreads(threads)
            return [try x.sum(alongAxis: 0).scalars, try x.sum(alongAxis: 1).scalars, try x.sum(alongAxis: 2).scalars,
                    try x.softmax().scalars, try x.logSoftmax().scalars, [try x.sum().scalar]]
        }
        let one = try reduce(threads: 1), two = try reduce(threads: 2)
        #expect(one.count == two.count)
        for (a, b) in zip(one, two) { #expect(differingBits(a, b) == 0) }
    }

    /// Above OpenBLAS's threading threshold (m·n·k > 262,144; these are 512·768·768 and its two
    /// backward products), a product and its gradients repeat bit for bit at the same thread count.
    @Test func threadedProductsRepeatAtTheSameThreadCount() throws {
        #expect(ComputeThreads.count >= 1)
        let x = randomTensor([512, 768], seed: 21), w = randomTensor([768, 768], seed: 22)
        func run() throws -> [[Float]] {
            let store = try ParameterStore(layout: [("w", [768, 768])])
            try store.set("w", to: w.scalars)
            let loss = try store.valueWithGradient { p in try (try x.matmul(try p["w"])).tanh().sum() }
            return [[loss], Array(store.gradients)]
        }
        let first = try run(), second = try run()
        #expect(first[1].contains { $0 != 0 })
        for (a, b) in zip(first, second) { #expect(differingBits(a, b) == 0) }
    }
}
