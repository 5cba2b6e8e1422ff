// Gradients cross devices and ranks in Double (GradientReducer): sums of Float gradients in
// Double are exact enough that no layout, device count or reduction order changes the Float
// result. These are the element loops of that path.

/// `output[i] = Double(input[i])`: a bucket staged for the network.
public func widen(output: UnsafeMutablePointer<Double>, input: UnsafePointer<Float>, count: Int) {
    parallelFor(count, grain: parallelGrain) { range in
        for i in range { output[i] = Double(input[i]) }
    }
}

/// `sums[i] += Double(input[i])`: a device's gradients added to the rank's accumulator.
public func accumulateWidened(sums: UnsafeMutablePointer<Double>, input: UnsafePointer<Float>, count: Int) {
    parallelFor(count, grain: parallelGrain) { range in
        for i in range { sums[i] += Double(input[i]) }
    }
}

/// `output[i] = Float(input[i] · scale)`: the averaged gradient back in Float.
public func narrowScaled(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Double>, scale: Double, count: Int) {
    parallelFor(count, grain: parallelGrain) { range in
        for i in range { output[i] = Float(input[i] * scale) }
    }
}
