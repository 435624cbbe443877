/// Vectorised elementary functions for the hot activation kernels. `exp` uses Cody–Waite range reduction and a
/// degree-6 polynomial (max error about 1 ulp over the float range), so results agree with `expf` to ~1e-7 relative.
public typealias FloatV = SIMD8<Float>

@usableFromInline let ln2Hi: Float = 0.693359375
@usableFromInline let ln2Lo: Float = -2.12194440e-4
@usableFromInline let log2e: Float = 1.44269504088896341

@inlinable @inline(__always)
public func vexp(_ x: FloatV) -> FloatV {
    // Only plain vector arithmetic here: Swift's generic SIMD conversions and rounding do not vectorise.
    var xc = x.replacing(with: -87.3, where: x .< -87.3)
    xc = xc.replacing(with: 88.0, where: xc .> 88.0)
    // Adding 1.5·2²³ rounds to the nearest integer, which then sits in the low mantissa bits.
    let magic: Float = 12582912
    let t = xc * log2e + magic
    let n = t - magic
    let r = xc - n * ln2Hi - n * ln2Lo
    var p = FloatV(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let e = p * (r * r) + r + 1
    let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let scale = unsafeBitCast((ni &+ 127) &<< 23, to: FloatV.self)
    return e * scale
}

@inlinable @inline(__always)
public func vlogistic(_ x: FloatV) -> FloatV { 1 / (1 + vexp(-x)) }

/// mish = x·tanh(softplus(x)) in the closed form x·n/(n+2), n = e²+2e (darknet's CUDA form; ≤1.3e-6 from its CPU form).
@inlinable @inline(__always)
public func vmish(_ x: FloatV) -> FloatV {
    let e = vexp(x.replacing(with: 20, where: x .> 20))
    let n = e * e + 2 * e
    let d = n + 2
    let low = x * n / d
    let high = x - 2 * x / d
    return high.replacing(with: low, where: x .<= -0.6)
}

@inlinable @inline(__always)
public func vswish(_ x: FloatV) -> FloatV { x * vlogistic(x) }

@inlinable @inline(__always)
public func vleaky(_ x: FloatV) -> FloatV { x.replacing(with: 0.1 * x, where: x .<= 0) }

/// mish′(x) = x·(1 − t²)·σ(x) + t with t = tanh(softplus(x)) = n/(n+2), n = e²+2e, σ(x) = e/(1+e).
@inlinable @inline(__always)
public func vmishDerivative(_ x: FloatV) -> FloatV {
    let e = vexp(x.replacing(with: 20, where: x .> 20))
    let n = e * e + 2 * e
    let t = n / (n + 2)
    let sigma = e / (1 + e)
    return x * (1 - t * t) * sigma + t
}

/// swish′(x) = σ(x) + x·σ(x)·(1 − σ(x)).
@inlinable @inline(__always)
public func vswishDerivative(_ x: FloatV) -> FloatV {
    let s = vlogistic(x)
    return s + x * s * (1 - s)
}
