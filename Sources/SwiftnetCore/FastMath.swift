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
    let q = x / (n + 2)
    // x − 2x/(n+2) is the same value without n's rounding where n is large.
    return (x - 2 * q).replacing(with: q * n, where: x .<= -0.6)
}

@inlinable @inline(__always)
public func vswish(_ x: FloatV) -> FloatV { x * vlogistic(x) }

@inlinable @inline(__always)
public func vleaky(_ x: FloatV) -> FloatV { x.replacing(with: 0.1 * x, where: x .<= 0) }

/// mish′(x) = t + x·σ(x)·(1 − t²) with t = tanh(softplus(x)) = n/d, n = e²+2e, d = n+2, σ = e/s, s = 1+e; since
/// 1 − t² = 4s²/d², that is (n·d + 4x·e·s)/d²: one division, no cancellation.
@inlinable @inline(__always)
public func vmishDerivative(_ x: FloatV) -> FloatV {
    // Above 15, mish′ is 1 to float precision.
    let xc = x.replacing(with: 15, where: x .> 15)
    let e = vexp(xc)
    let n = e * e + 2 * e
    let d = n + 2, s = 1 + e
    return (n * d + 4 * xc * e * s) / (d * d)
}

/// swish′(x) = σ(x) + x·σ(x)·(1 − σ(x)).
@inlinable @inline(__always)
public func vswishDerivative(_ x: FloatV) -> FloatV {
    let s = vlogistic(x)
    return s + x * s * (1 - s)
}

/// Natural logarithm for positive normal floats: exponent from the bits, mantissa in [√½, √2), Cephes' degree-9
/// polynomial for log(1+f) (about 1 ulp).
@inlinable @inline(__always)
public func vlog(_ x: FloatV) -> FloatV {
    let bits = unsafeBitCast(x, to: SIMD8<Int32>.self)
    var exponent = ((bits &>> 23) & 0xff) &- 127
    var m = unsafeBitCast((bits & 0x007f_ffff) | 0x3f80_0000, to: FloatV.self)
    let big = m .> 1.41421356
    m = m.replacing(with: m * 0.5, where: big)
    exponent = exponent.replacing(with: exponent &+ 1, where: big)
    // int → float through the 1.5·2²³ magic (small integers only).
    let e = unsafeBitCast(exponent &+ 0x4B40_0000, to: FloatV.self) - 12582912
    let f = m - 1
    let z = f * f
    var y = FloatV(repeating: 7.0376836292e-2)
    y = y * f - 1.1514610310e-1
    y = y * f + 1.1676998740e-1
    y = y * f - 1.2420140846e-1
    y = y * f + 1.4249322787e-1
    y = y * f - 1.6668057665e-1
    y = y * f + 2.0000714765e-1
    y = y * f - 2.4999993993e-1
    y = y * f + 3.3333331174e-1
    y = y * f * z
    y = y + e * ln2Lo - 0.5 * z
    return f + y + e * ln2Hi
}

/// log(1 + e) for e ≥ 0 without the cancellation of `log(1 + e)` when e is small.
@inlinable @inline(__always)
public func vlog1p(_ e: FloatV) -> FloatV {
    let u = 1 + e
    let d = u - 1
    // log(u)·e/(u−1) corrects the rounding of 1 + e (Goldberg's trick); u == 1 means log1p(e) = e.
    let corrected = vlog(u) * e / d.replacing(with: 1, where: d .== 0)
    return corrected.replacing(with: e, where: d .== 0)
}

/// tanh(x) = 2/(1+e^(−2x)) − 1 (darknet's form).
@inlinable @inline(__always)
public func vtanh(_ x: FloatV) -> FloatV { 2 / (1 + vexp(-2 * x)) - 1 }

/// softplus(x) = log(1 + eˣ) with darknet's threshold: x above 20 gives x, below −20 gives eˣ.
@inlinable @inline(__always)
public func vsoftplus(_ x: FloatV) -> FloatV {
    let e = vexp(x.replacing(with: -x, where: x .> 0))
    let positive: FloatV = x.replacing(with: 0, where: x .< 0)
    let middle: FloatV = positive + vlog1p(e)
    let high: FloatV = middle.replacing(with: x, where: x .> 20)
    return high.replacing(with: e, where: x .< -20)
}
