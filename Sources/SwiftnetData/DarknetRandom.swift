import SwiftnetCore

/// darknet's random helpers (`utils.c`, spec §5.3) on top of ``SeededRandom``, so that one seed reproduces a whole
/// augmented sample. Distributions match darknet's; sequences cannot (darknet draws from `rand()`).
extension SeededRandom {
    /// `random_float()`: uniform in [0, 1], both ends included (24-bit resolution).
    public mutating func randomFloat() -> Float {
        Float(next() >> 40) / Float((1 << 24) - 1)
    }

    /// `rand_uniform_strong(a, b)`: uniform in [min(a,b), max(a,b)].
    public mutating func randUniformStrong(_ a: Float, _ b: Float) -> Float {
        let lo = min(a, b), hi = max(a, b)
        return randomFloat() * (hi - lo) + lo
    }

    /// `rand_scale(s)`: `u = rand_uniform_strong(1, s)`, then `u` or `1/u` with probability ½ each. For s ≥ 1 the
    /// result lies in [1/s, s]; for s < 1 in [s, 1] ∪ [1, 1/s].
    public mutating func randScale(_ s: Float) -> Float {
        let scale = randUniformStrong(1, s)
        return randomBit() ? scale : 1 / scale
    }

    /// `rand_int(a, b)`: uniform integer in [min(a,b), max(a,b)].
    public mutating func randInt(_ a: Int, _ b: Int) -> Int {
        let lo = min(a, b), hi = max(a, b)
        return lo + randomIndex(below: hi - lo + 1)
    }

    /// A fair coin (`random_gen() % 2`).
    public mutating func randomBit() -> Bool { next() >> 63 == 1 }

    /// Uniform integer in 0..<n (n ≥ 1), by multiply-high: unbiased to within n/2⁶⁴.
    public mutating func randomIndex(below n: Int) -> Int {
        precondition(n >= 1, "randomIndex(below:) needs n ≥ 1")
        return Int(UInt64(n).multipliedFullWidth(by: next()).high)
    }

    /// `rand_precalc_random(a, b, r)`: `min + r·(max − min)` for a draw `r` made earlier.
    public static func randPrecalcRandom(_ a: Float, _ b: Float, _ r: Float) -> Float {
        let lo = min(a, b), hi = max(a, b)
        return r * (hi - lo) + lo
    }
}
