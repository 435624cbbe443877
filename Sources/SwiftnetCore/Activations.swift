import CKernels
import Foundation
import SwiftnetFormat

/// darknet's own tanh form `2/(1+exp(−2v))−1`, used inside mish.
@inline(__always) func darknetTanh(_ v: Float) -> Float { 2 / (1 + expf(-2 * v)) - 1 }

@inline(__always) func logisticScalar(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

/// softplus with darknet's threshold 20.
@inline(__always) func softplusScalar(_ x: Float) -> Float {
    if x > 20 { return x }
    if x < -20 { return expf(x) }
    return logf(expf(x) + 1)
}

extension Activation {
    /// The element-wise forward of an activation with darknet's exact scalar numerics (spec §1.9).
    @inline(__always)
    public func apply(_ x: Float) -> Float {
        switch self {
        case .linear: return x
        case .logistic: return logisticScalar(x)
        case .loggy: return 2 / (1 + expf(-x)) - 1
        case .relu: return x > 0 ? x : 0
        case .relu6: return min(max(x, 0), 6)
        case .elu: return x >= 0 ? x : expf(x) - 1
        case .selu: return x >= 0 ? 1.0507 * x : 1.0507 * 1.6732 * (expf(x) - 1)
        case .gelu: return 0.5 * x * (1 + tanhf(0.797885 * x + 0.035677 * x * x * x))
        case .relie: return x > 0 ? x : 0.01 * x
        case .ramp: return (x > 0 ? x : 0) + 0.1 * x
        case .leaky, .revleaky: return x > 0 ? x : 0.1 * x
        case .tanh: return 2 / (1 + expf(-2 * x)) - 1
        case .plse:
            if x < -4 { return 0.01 * (x + 4) }
            if x > 4 { return 0.01 * (x - 4) + 1 }
            return 0.125 * x + 0.5
        case .stair:
            let n = floorf(x)
            if Int(n) % 2 == 0 { return floorf(x / 2) }
            return (x - n) + floorf(x / 2)
        case .hardtan: return x < -1 ? -1 : (x > 1 ? 1 : x)
        case .lhtan:
            if x < 0 { return 0.001 * x }
            if x > 1 { return 0.001 * (x - 1) + 1 }
            return x
        case .swish: return x * logisticScalar(x)
        case .mish: return x * darknetTanh(softplusScalar(x))
        case .hardMish:
            if x > 0 { return x }
            if x > -2 { return x * x / 2 + x }
            return 0
        case .normalizeChannels, .normalizeChannelsSoftmax, .normalizeChannelsSoftmaxMaxval:
            return x // channel-wise; handled by `Kernels.activate(channels:spatial:)`
        }
    }
}

public extension Kernels {
    /// Applies an element-wise activation in place on `count` values (vectorised for the common kinds).
    static func activate(_ x: UnsafeMutablePointer<Float>, count: Int, _ activation: Activation) {
        if activation == .linear || count == 0 { return }
        Parallel.chunks(count, grain: 1 << 15) { range in
            activateRange(x, range, activation)
        }
    }

    /// Applies any activation to `batch` images of `channels × spatial` values, including the channel-wise kinds.
    static func activate(_ x: UnsafeMutablePointer<Float>, batch: Int, channels: Int, spatial: Int, _ activation: Activation) {
        if activation.isChannelwise {
            for b in 0..<batch {
                normalizeChannels(x + b * channels * spatial, channels: channels, spatial: spatial, activation)
            }
        } else {
            activate(x, count: batch * channels * spatial, activation)
        }
    }

    /// Adds a per-channel bias and applies the activation in one pass (`channels × spatial` values).
    static func biasActivate(_ x: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, channels: Int, spatial: Int, _ activation: Activation) {
        if activation.isChannelwise {
            if let bias {
                for c in 0..<channels {
                    let row = x + c * spatial
                    let b = bias[c]
                    for i in 0..<spatial { row[i] += b }
                }
            }
            normalizeChannels(x, channels: channels, spatial: spatial, activation)
            return
        }
        Parallel.chunks(channels, grain: max(1, (1 << 14) / max(1, spatial))) { range in
            biasActivateRows(x, bias: bias, rows: range, spatial: spatial, activation)
        }
    }

    @inline(__always)
    static func biasActivateRows(_ x: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, rows: Range<Int>, spatial: Int, _ activation: Activation) {
            for c in rows {
                let row = x + c * spatial
                if let bias {
                    let b = bias[c]
                    var i = 0
                    let bv = FloatV(repeating: b)
                    while i + 8 <= spatial {
                        let p = UnsafeMutableRawPointer(row + i)
                        p.storeBytes(of: p.loadUnaligned(as: FloatV.self) + bv, as: FloatV.self)
                        i += 8
                    }
                    while i < spatial { row[i] += b; i += 1 }
                }
                activateRange(row, 0..<spatial, activation)
            }
    }

    @inline(__always)
    internal static func activateRange(_ x: UnsafeMutablePointer<Float>, _ range: Range<Int>, _ activation: Activation) {
        forwardRange(UnsafePointer(x), x, range, activation)
    }

    /// `y[i] = f(x[i])` over `range` (x and y may be the same buffer), vectorised for every element-wise kind but stair.
    @inline(__always)
    internal static func forwardRange(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ range: Range<Int>, _ activation: Activation) {
        switch activation {
        case .linear:
            if UnsafePointer(y) != x { (y + range.lowerBound).update(from: x + range.lowerBound, count: range.count) }
        case .leaky, .revleaky: vectorMap(x, y, range, vleaky) { $0 > 0 ? $0 : 0.1 * $0 }
        case .relie: vectorMap(x, y, range, { $0.replacing(with: 0.01 * $0, where: $0 .<= 0) }) { Activation.relie.apply($0) }
        case .mish:
            if wideForward(SN_MISH, x, y, range) { return }
            vectorMap(x, y, range, vmish) { Activation.mish.apply($0) }
        case .swish:
            if wideForward(SN_SWISH, x, y, range) { return }
            vectorMap(x, y, range, vswish) { Activation.swish.apply($0) }
        case .logistic:
            if wideForward(SN_LOGISTIC, x, y, range) { return }
            vectorMap(x, y, range, vlogistic) { logisticScalar($0) }
        case .loggy: vectorMap(x, y, range, { 2 * vlogistic($0) - 1 }) { Activation.loggy.apply($0) }
        case .relu: vectorMap(x, y, range, { $0.replacing(with: 0, where: $0 .<= 0) }) { $0 > 0 ? $0 : 0 }
        case .relu6: vectorMap(x, y, range, { $0.replacing(with: 0, where: $0 .< 0).replacing(with: 6, where: $0 .> 6) }) { Activation.relu6.apply($0) }
        case .ramp: vectorMap(x, y, range, { $0.replacing(with: 0, where: $0 .<= 0) + 0.1 * $0 }) { Activation.ramp.apply($0) }
        case .elu: vectorMap(x, y, range, { $0.replacing(with: vexp($0) - 1, where: $0 .< 0) }) { Activation.elu.apply($0) }
        case .selu:
            vectorMap(x, y, range, { (1.0507 * $0).replacing(with: 1.0507 * 1.6732 * (vexp($0) - 1), where: $0 .< 0) }) { Activation.selu.apply($0) }
        case .gelu: vectorMap(x, y, range, { 0.5 * $0 * (1 + vtanh(0.797885 * $0 + 0.035677 * $0 * $0 * $0)) }) { Activation.gelu.apply($0) }
        case .tanh: vectorMap(x, y, range, vtanh) { Activation.tanh.apply($0) }
        case .hardtan: vectorMap(x, y, range, { $0.replacing(with: -1, where: $0 .< -1).replacing(with: 1, where: $0 .> 1) }) { Activation.hardtan.apply($0) }
        case .lhtan:
            vectorMap(x, y, range, { v in
                (v.replacing(with: 0.001 * v, where: v .< 0)).replacing(with: 0.001 * (v - 1) + 1, where: v .> 1)
            }) { Activation.lhtan.apply($0) }
        case .plse:
            vectorMap(x, y, range, { v in
                (0.125 * v + 0.5).replacing(with: 0.01 * (v + 4), where: v .< -4).replacing(with: 0.01 * (v - 4) + 1, where: v .> 4)
            }) { Activation.plse.apply($0) }
        case .hardMish:
            vectorMap(x, y, range, { v in
                v.replacing(with: v * v / 2 + v, where: v .<= 0).replacing(with: 0, where: v .<= -2)
            }) { Activation.hardMish.apply($0) }
        case .stair, .normalizeChannels, .normalizeChannelsSoftmax, .normalizeChannelsSoftmaxMaxval:
            for i in range { y[i] = activation.apply(x[i]) }
        }
    }

    /// The AVX-512 / AVX2 kernel of `kind` when this CPU has one (same formulas as the Swift vector code).
    @inline(__always)
    internal static func wideForward(_ kind: sn_activation, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ range: Range<Int>) -> Bool {
        sn_activation_forward(Int32(kind.rawValue), x + range.lowerBound, y + range.lowerBound, range.count) != 0
    }

    @inline(__always)
    internal static func wideBackward(_ kind: sn_activation, _ x: UnsafePointer<Float>, _ delta: UnsafePointer<Float>,
                                      _ out: UnsafeMutablePointer<Float>, _ range: Range<Int>) -> Bool {
        sn_activation_backward(Int32(kind.rawValue), x + range.lowerBound, delta + range.lowerBound, out + range.lowerBound, range.count) != 0
    }

    @inline(__always)
    internal static func vectorMap(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ range: Range<Int>,
                                   _ f: (FloatV) -> FloatV, _ scalar: (Float) -> Float) {
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            UnsafeMutableRawPointer(y + i).storeBytes(of: f(UnsafeRawPointer(x + i).loadUnaligned(as: FloatV.self)), as: FloatV.self)
            i += 8
        }
        while i < range.upperBound { y[i] = scalar(x[i]); i += 1 }
    }

    /// The channel-wise activations: per pixel, values across channels are normalised (spec §1.9).
    static func normalizeChannels(_ x: UnsafeMutablePointer<Float>, channels: Int, spatial: Int, _ activation: Activation) {
        let eps: Float = 0.0001
        for i in 0..<spatial {
            switch activation {
            case .normalizeChannels:
                var sum = eps
                for c in 0..<channels { let v = x[c * spatial + i]; if v > 0 { sum += v } }
                for c in 0..<channels { let v = x[c * spatial + i]; x[c * spatial + i] = v > 0 ? v / sum : 0 }
            default:
                var maxValue: Float = 0
                if activation == .normalizeChannelsSoftmaxMaxval {
                    maxValue = -.greatestFiniteMagnitude
                    for c in 0..<channels { maxValue = max(maxValue, x[c * spatial + i]) }
                }
                var sum = eps
                for c in 0..<channels { sum += expf(x[c * spatial + i] - maxValue) }
                for c in 0..<channels { x[c * spatial + i] = expf(x[c * spatial + i] - maxValue) / sum }
            }
        }
    }
}

extension Activation {
    /// The derivative f′(x) at the pre-activation value x (the exact derivative of `apply`; darknet evaluates most
    /// of these from the output y, which is the same function).
    @inline(__always)
    public func derivative(_ x: Float) -> Float {
        switch self {
        case .linear: return 1
        case .logistic:
            let y = logisticScalar(x)
            return (1 - y) * y
        case .loggy:
            let s = logisticScalar(x)
            return 2 * s * (1 - s)
        case .relu: return x > 0 ? 1 : 0
        case .relu6: return x > 0 && x < 6 ? 1 : 0
        case .elu: return x >= 0 ? 1 : expf(x)
        case .selu: return x >= 0 ? 1.0507 : 1.0507 * 1.6732 * expf(x)
        case .gelu:
            let u = 0.797885 * x + 0.035677 * x * x * x
            let t = tanhf(u)
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (0.797885 + 3 * 0.035677 * x * x)
        case .relie: return x > 0 ? 1 : 0.01
        case .ramp: return (x > 0 ? 1 : 0) + 0.1
        case .leaky, .revleaky: return x > 0 ? 1 : 0.1
        case .tanh:
            let y = 2 / (1 + expf(-2 * x)) - 1
            return 1 - y * y
        case .plse: return (x < -4 || x > 4) ? 0.01 : 0.125
        case .stair:
            let y = apply(x)
            return floorf(y) == y ? 0 : 1
        case .hardtan: return x > -1 && x < 1 ? 1 : 0
        case .lhtan: return x > 0 && x < 1 ? 1 : 0.001
        case .swish:
            let s = logisticScalar(x)
            return s + x * s * (1 - s)
        case .mish:
            // darknet's gradient_array_mish: x·(1 − t²)·σ(x) + t with t = tanh(softplus(x)).
            let sp = softplusScalar(x)
            let gsp = 1 - expf(-sp)
            let t = tanhf(sp)
            return x * (1 - t * t) * gsp + t
        case .hardMish:
            if x > 0 { return 1 }
            if x > -2 { return x + 1 }
            return 0
        case .normalizeChannels, .normalizeChannelsSoftmax, .normalizeChannelsSoftmaxMaxval:
            return 1 // channel-wise; handled by `Kernels.activationGradient`
        }
    }
}

public extension Kernels {
    /// `delta ← delta · f′(x)` for `batch` images of `channels × spatial` pre-activation values `x`; the channel-wise
    /// activations use their Jacobian across channels.
    static func activationGradient(_ x: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>, batch: Int, channels: Int,
                                   spatial: Int, _ activation: Activation) {
        if activation == .linear { return }
        if activation.isChannelwise {
            for b in 0..<batch {
                channelwiseGradient(x + b * channels * spatial, delta: delta + b * channels * spatial,
                                    channels: channels, spatial: spatial, activation)
            }
            return
        }
        let count = batch * channels * spatial
        Parallel.chunks(count, grain: 1 << 15) { range in
            gradientRange(x, UnsafePointer(delta), delta, range, activation)
        }
    }

    /// `out[i] = delta[i] · f′(x[i])` over `range` (delta and out may be the same buffer), vectorised for every
    /// element-wise kind but stair.
    @inline(__always)
    internal static func gradientRange(_ x: UnsafePointer<Float>, _ delta: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                                       _ range: Range<Int>, _ activation: Activation) {
        let zero = FloatV(repeating: 0), one = FloatV(repeating: 1)
        switch activation {
        case .linear:
            if UnsafePointer(out) != delta { (out + range.lowerBound).update(from: delta + range.lowerBound, count: range.count) }
        case .leaky, .revleaky: gradientMap(x, delta, out, range, { one.replacing(with: 0.1, where: $0 .<= 0) }) { Activation.leaky.derivative($0) }
        case .relie: gradientMap(x, delta, out, range, { one.replacing(with: 0.01, where: $0 .<= 0) }) { Activation.relie.derivative($0) }
        case .relu: gradientMap(x, delta, out, range, { one.replacing(with: 0, where: $0 .<= 0) }) { Activation.relu.derivative($0) }
        case .relu6: gradientMap(x, delta, out, range, { zero.replacing(with: 1, where: ($0 .> 0) .& ($0 .< 6)) }) { Activation.relu6.derivative($0) }
        case .ramp: gradientMap(x, delta, out, range, { FloatV(repeating: 0.1).replacing(with: 1.1, where: $0 .> 0) }) { Activation.ramp.derivative($0) }
        case .elu: gradientMap(x, delta, out, range, { one.replacing(with: vexp($0), where: $0 .< 0) }) { Activation.elu.derivative($0) }
        case .selu:
            gradientMap(x, delta, out, range, { FloatV(repeating: 1.0507).replacing(with: 1.0507 * 1.6732 * vexp($0), where: $0 .< 0) }) { Activation.selu.derivative($0) }
        case .gelu:
            gradientMap(x, delta, out, range, { v in
                let t = vtanh(0.797885 * v + 0.035677 * v * v * v)
                return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * (0.797885 + 3 * 0.035677 * v * v)
            }) { Activation.gelu.derivative($0) }
        case .tanh: gradientMap(x, delta, out, range, { let t = vtanh($0); return 1 - t * t }) { Activation.tanh.derivative($0) }
        case .logistic:
            if wideBackward(SN_LOGISTIC, x, delta, out, range) { return }
            gradientMap(x, delta, out, range, { let s = vlogistic($0); return (1 - s) * s }) { Activation.logistic.derivative($0) }
        case .loggy: gradientMap(x, delta, out, range, { let s = vlogistic($0); return 2 * s * (1 - s) }) { Activation.loggy.derivative($0) }
        case .mish:
            if wideBackward(SN_MISH, x, delta, out, range) { return }
            gradientMap(x, delta, out, range, vmishDerivative) { Activation.mish.derivative($0) }
        case .swish:
            if wideBackward(SN_SWISH, x, delta, out, range) { return }
            gradientMap(x, delta, out, range, vswishDerivative) { Activation.swish.derivative($0) }
        case .hardtan: gradientMap(x, delta, out, range, { zero.replacing(with: 1, where: ($0 .> -1) .& ($0 .< 1)) }) { Activation.hardtan.derivative($0) }
        case .lhtan:
            gradientMap(x, delta, out, range, { FloatV(repeating: 0.001).replacing(with: 1, where: ($0 .> 0) .& ($0 .< 1)) }) { Activation.lhtan.derivative($0) }
        case .plse:
            gradientMap(x, delta, out, range, { FloatV(repeating: 0.125).replacing(with: 0.01, where: ($0 .< -4) .| ($0 .> 4)) }) { Activation.plse.derivative($0) }
        case .hardMish:
            gradientMap(x, delta, out, range, { v in
                one.replacing(with: v + 1, where: v .<= 0).replacing(with: 0, where: v .<= -2)
            }) { Activation.hardMish.derivative($0) }
        case .stair, .normalizeChannels, .normalizeChannelsSoftmax, .normalizeChannelsSoftmaxMaxval:
            for i in range { out[i] = delta[i] * activation.derivative(x[i]) }
        }
    }

    @inline(__always)
    internal static func gradientMap(_ x: UnsafePointer<Float>, _ delta: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                                     _ range: Range<Int>, _ f: (FloatV) -> FloatV, _ scalar: (Float) -> Float) {
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let xv = UnsafeRawPointer(x + i).loadUnaligned(as: FloatV.self)
            let d = UnsafeRawPointer(delta + i).loadUnaligned(as: FloatV.self)
            UnsafeMutableRawPointer(out + i).storeBytes(of: d * f(xv), as: FloatV.self)
            i += 8
        }
        while i < range.upperBound { out[i] = delta[i] * scalar(x[i]); i += 1 }
    }

    /// Vector-Jacobian product of the channel-wise normalisations (per pixel, across channels).
    static func channelwiseGradient(_ x: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>, channels: Int, spatial: Int,
                                    _ activation: Activation) {
        let eps: Float = 0.0001
        var y = [Float](repeating: 0, count: channels)
        for i in 0..<spatial {
            if activation == .normalizeChannels {
                var sum = eps
                for c in 0..<channels { sum += max(0, x[c * spatial + i]) }
                var dot: Float = 0
                for c in 0..<channels {
                    y[c] = max(0, x[c * spatial + i]) / sum
                    dot += y[c] * delta[c * spatial + i]
                }
                for c in 0..<channels {
                    let k = c * spatial + i
                    delta[k] = x[k] > 0 ? (delta[k] - dot) / sum : 0
                }
            } else {
                var m: Float = 0
                if activation == .normalizeChannelsSoftmaxMaxval {
                    m = -.greatestFiniteMagnitude
                    for c in 0..<channels { m = max(m, x[c * spatial + i]) }
                }
                var sum = eps
                for c in 0..<channels {
                    y[c] = expf(x[c * spatial + i] - m)
                    sum += y[c]
                }
                var dot: Float = 0
                for c in 0..<channels {
                    y[c] /= sum
                    dot += y[c] * delta[c * spatial + i]
                }
                // y_k = e_k/(ε + Σe): ∂y_k/∂x_j = y_k(δ_kj − y_j).
                for c in 0..<channels {
                    let k = c * spatial + i
                    delta[k] = y[c] * (delta[k] - dot)
                }
            }
        }
    }
}
