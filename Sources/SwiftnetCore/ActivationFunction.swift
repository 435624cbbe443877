import SwiftnetFormat

/// An element-wise function with its derivative, as the activation benchmark, `swiftnet activations` and the plots
/// evaluate it: every element-wise darknet activation (through the kernels training uses), plus softplus, the Mish
/// paper's comparison, which is not a cfg activation.
public enum ActivationFunction: Hashable, Sendable, CustomStringConvertible {
    case activation(Activation)
    case softplus

    /// Every element-wise darknet activation in cfg order, then softplus.
    public static let all: [ActivationFunction] =
        Activation.allCases.filter { !$0.isChannelwise }.map { .activation($0) } + [.softplus]

    /// The cfg name (`hard_mish`, `leaky`, …) or `softplus`.
    public var description: String {
        switch self {
        case .activation(let a): return a.rawValue
        case .softplus: return "softplus"
        }
    }

    /// Looks a function up by its name; nil for unknown and channel-wise names.
    public init?(name: String) {
        if name == "softplus" { self = .softplus; return }
        guard let a = Activation(rawValue: name), !a.isChannelwise else { return nil }
        self = .activation(a)
    }

    /// `y[i] = f(x[i])` for `count` values on the given number of threads (x and y may be the same buffer).
    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, threads: Int) {
        Parallel.chunks(count, grain: 1 << 15, threads: threads) { range in
            switch self {
            case .activation(let a): Kernels.forwardRange(x, y, range, a)
            case .softplus: Kernels.vectorMap(x, y, range, vsoftplus) { softplusScalar($0) }
            }
        }
    }

    /// `out[i] = delta[i] · f′(x[i])` for `count` values (delta and out may be the same buffer).
    public func backward(_ x: UnsafePointer<Float>, delta: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                         count: Int, threads: Int) {
        Parallel.chunks(count, grain: 1 << 15, threads: threads) { range in
            switch self {
            case .activation(let a): Kernels.gradientRange(x, delta, out, range, a)
            case .softplus: Kernels.gradientMap(x, delta, out, range, vlogistic) { logisticScalar($0) }
            }
        }
    }

    /// f and f′ on `x` by the same kernels (one thread).
    public func values(_ x: [Float]) -> (f: [Float], df: [Float]) {
        var f = [Float](repeating: 0, count: x.count), df = [Float](repeating: 1, count: x.count)
        x.withUnsafeBufferPointer { xp in
            guard let xb = xp.baseAddress else { return }
            f.withUnsafeMutableBufferPointer { forward(xb, into: $0.baseAddress!, count: x.count, threads: 1) }
            df.withUnsafeMutableBufferPointer { backward(xb, delta: $0.baseAddress!, into: $0.baseAddress!, count: x.count, threads: 1) }
        }
        return (f, df)
    }
}
