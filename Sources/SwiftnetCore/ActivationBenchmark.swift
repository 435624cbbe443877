import Foundation

/// Times forward and backward of activation functions on a large float array (the Mish paper's Table 6).
public enum ActivationBenchmark {
    /// One function's timings in microseconds (median and sample standard deviation over the runs) and its ratios
    /// to ReLU's medians.
    public struct Timing: Sendable {
        public var function: ActivationFunction
        public var forwardMicroseconds: Double, forwardStd: Double
        public var backwardMicroseconds: Double, backwardStd: Double
        public var forwardRatio: Double = 1, backwardRatio: Double = 1
    }

    /// Times every function in `functions` (ReLU is always timed, for the ratios) on `count` floats: x uniform in
    /// [−6, 6), y = f(x) into a second buffer, then out = delta · f′(x) into a third, `warmup` untimed runs first.
    public static func run(functions: [ActivationFunction] = ActivationFunction.all, count: Int, runs: Int, warmup: Int = 2,
                           threads: Int = Parallel.threads) -> [Timing] {
        let x = UnsafeMutablePointer<Float>.allocate(capacity: count), y = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let delta = UnsafeMutablePointer<Float>.allocate(capacity: count), out = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { x.deallocate(); y.deallocate(); delta.deallocate(); out.deallocate() }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24)
        }
        for i in 0..<count {
            x[i] = next() * 12 - 6
            delta[i] = next() * 2 - 1
        }
        out.initialize(repeating: 0, count: count)
        y.initialize(repeating: 0, count: count)
        func seconds(_ body: () -> Void) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1000
        }
        var list = functions
        if !list.contains(.activation(.relu)) { list.insert(.activation(.relu), at: 0) }
        // Runs are interleaved across functions, so a slow stretch of the machine hits every function alike.
        var forward = [[Double]](repeating: [], count: list.count), backward = forward
        for run in 0..<(warmup + runs) {
            for (k, function) in list.enumerated() {
                let f = seconds { function.forward(x, into: y, count: count, threads: threads) }
                let b = seconds { function.backward(x, delta: delta, into: out, count: count, threads: threads) }
                if run >= warmup {
                    forward[k].append(f)
                    backward[k].append(b)
                }
            }
        }
        var timings = list.indices.map { k in
            Timing(function: list[k], forwardMicroseconds: median(forward[k]), forwardStd: standardDeviation(forward[k]),
                   backwardMicroseconds: median(backward[k]), backwardStd: standardDeviation(backward[k]))
        }
        let relu = timings.first { $0.function == .activation(.relu) }!
        for k in timings.indices {
            timings[k].forwardRatio = timings[k].forwardMicroseconds / relu.forwardMicroseconds
            timings[k].backwardRatio = timings[k].backwardMicroseconds / relu.backwardMicroseconds
        }
        return timings.filter { functions.contains($0.function) }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// Sample standard deviation (n − 1); 0 for one value.
    static func standardDeviation(_ values: [Double]) -> Double {
        guard values.count > 1 else { return 0 }
        let mean = values.reduce(0, +) / Double(values.count)
        return (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
    }
}
