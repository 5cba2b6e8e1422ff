@testable import Kernels
import Testing
@testable import Tensor

/// The same computation with 1 and with 2 threads gives bitwise-equal values and gradients:
/// every kernel of ours partitions work so that no sum's order depends on the thread count.
/// OpenBLAS's count stays as it is: its products are not bitwise equal across thread counts on
/// every core, and suites of other targets run beside this one in the same process.
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
        let differing = zip(one.gradients, two.gradients).filter { $0.0.bitPattern != $0.1.bitPattern }.count
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
        for (a, b) in zip(one, two) {
            #expect(zip(a, b).allSatisfy { $0.0.bitPattern == $0.1.bitPattern })
        }
    }
}
