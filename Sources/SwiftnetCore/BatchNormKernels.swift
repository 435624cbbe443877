import SwiftnetFormat

/// Batch normalisation in training mode (the cuDNN semantics darknet's GPU training uses, spec §5.7): mini-batch
/// mean and biased variance over `batch × spatial` per channel, ε = 1e-5 inside the square root.
/// Synchronised batch-norm (`--sync-bn`): the ranks of a data-parallel job normalise with the statistics of all
/// their mini-batches together.
public struct StatisticsSync {
    /// The job's ranks, each with a mini-batch of the same size.
    public let ranks: Int
    /// Sums `count` doubles over all ranks in place.
    public let reduce: Kernels.StatisticsReduction

    public init(ranks: Int, reduce: @escaping Kernels.StatisticsReduction) {
        self.ranks = ranks
        self.reduce = reduce
    }
}

/// Σx over a row, in eight lanes (a fixed order, whatever the thread count).
@inline(__always) func rowSum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = FloatV(repeating: 0)
    var i = 0
    while i + 8 <= n {
        acc += UnsafeRawPointer(x + i).loadUnaligned(as: FloatV.self)
        i += 8
    }
    var s = acc.sum()
    while i < n { s += x[i]; i += 1 }
    return s
}

/// Σ(x − m)² over a row, in eight lanes.
@inline(__always) func rowSquaredDeviation(_ x: UnsafePointer<Float>, _ n: Int, _ m: Float) -> Float {
    var acc = FloatV(repeating: 0)
    let mv = FloatV(repeating: m)
    var i = 0
    while i + 8 <= n {
        let d = UnsafeRawPointer(x + i).loadUnaligned(as: FloatV.self) - mv
        acc += d * d
        i += 8
    }
    var s = acc.sum()
    while i < n { let d = x[i] - m; s += d * d; i += 1 }
    return s
}

/// (Σδ, Σδ·x̂) over a row, in eight lanes.
@inline(__always) func rowDeltaSums(_ delta: UnsafePointer<Float>, _ normalized: UnsafePointer<Float>, _ n: Int) -> (Float, Float) {
    var a = FloatV(repeating: 0), b = FloatV(repeating: 0)
    var i = 0
    while i + 8 <= n {
        let d = UnsafeRawPointer(delta + i).loadUnaligned(as: FloatV.self)
        a += d
        b += d * UnsafeRawPointer(normalized + i).loadUnaligned(as: FloatV.self)
        i += 8
    }
    var s = a.sum(), q = b.sum()
    while i < n { s += delta[i]; q += delta[i] * normalized[i]; i += 1 }
    return (s, q)
}

public extension Kernels {
    /// Sums the per-channel statistics of every rank in place (synchronised batch-norm); nil: this process's
    /// mini-batch alone.
    typealias StatisticsReduction = (UnsafeMutablePointer<Double>, Int) -> Void

    /// Normalises `z` (`batch × channels × spatial`) into `normalized` (x̂) and writes `γ·x̂ + β` into `output`;
    /// returns the batch statistics in `mean` and `variance` (biased). With `reduce`, the statistics are those of
    /// every rank's mini-batch together. With `activated`, also writes the element-wise `activation` of `output`
    /// there, each row while it is in cache (`activated` may be `z` itself: a row is read before it is written).
    static func batchNormForward(_ z: UnsafePointer<Float>, batch: Int, channels: Int, spatial: Int,
                                 gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                                 mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>,
                                 normalized: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>,
                                 activated: UnsafeMutablePointer<Float>? = nil, activation: Activation = .linear,
                                 reduce: StatisticsReduction? = nil) {
        precondition(activated == nil || !activation.isChannelwise, "a channel-wise activation needs whole columns")
        // Per channel: Σx and Σx², then the count (n, summed over ranks with `reduce`).
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: 2 * channels + 1)
        defer { sums.deallocate() }
        Parallel.chunks(channels) { range in
            for c in range {
                var sum = 0.0, sumSquares = 0.0
                for b in 0..<batch {
                    let row = z + (b * channels + c) * spatial
                    let s = rowSum(row, spatial)
                    sum += Double(s)
                    let m0 = s / Float(spatial)
                    let q = rowSquaredDeviation(row, spatial, m0)
                    // Combine per-image sums of squared deviations (stable two-pass per image).
                    sumSquares += Double(q) + Double(spatial) * Double(m0) * Double(m0)
                }
                sums[c] = sum
                sums[channels + c] = sumSquares
            }
        }
        sums[2 * channels] = Double(batch * spatial)
        reduce?(sums, 2 * channels + 1)
        let n = sums[2 * channels]
        Parallel.chunks(channels) { range in
            for c in range {
                let m = sums[c] / n
                let v = max(0, sums[channels + c] / n - m * m)
                mean[c] = Float(m)
                variance[c] = Float(v)
                let inv = Float(1 / (v + 0.00001).squareRoot())
                let g = gamma[c], bt = beta[c], mf = Float(m)
                for b in 0..<batch {
                    let offset = (b * channels + c) * spatial
                    for i in 0..<spatial {
                        let xh = (z[offset + i] - mf) * inv
                        normalized[offset + i] = xh
                        output[offset + i] = g * xh + bt
                    }
                    if let activated { forwardRange(UnsafePointer(output + offset), activated + offset, 0..<spatial, activation) }
                }
            }
        }
    }

    /// Backward through `γ·x̂ + β` and the normalisation: accumulates `Σδ` into `betaUpdate`, `Σδ·x̂` into
    /// `gammaUpdate`, and replaces `delta` (w.r.t. the output) by the delta w.r.t. the input z. With `preActivation`,
    /// `delta` is first taken through the element-wise `activation` applied to those values. With `reduce` (the
    /// forward's statistics were every rank's), the means of δ and δ·x̂ are every rank's too; the updates stay this
    /// rank's share, summed later with the other gradients.
    static func batchNormBackward(_ delta: UnsafeMutablePointer<Float>, normalized: UnsafePointer<Float>, batch: Int,
                                  channels: Int, spatial: Int, gamma: UnsafePointer<Float>, variance: UnsafePointer<Float>,
                                  gammaUpdate: UnsafeMutablePointer<Float>, betaUpdate: UnsafeMutablePointer<Float>,
                                  preActivation: UnsafePointer<Float>? = nil, activation: Activation = .linear,
                                  reduce: StatisticsReduction? = nil) {
        precondition(preActivation == nil || !activation.isChannelwise, "a channel-wise activation needs whole columns")
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: 2 * channels)
        defer { sums.deallocate() }
        Parallel.chunks(channels) { range in
            for c in range {
                var sumDelta: Float = 0, sumDeltaX: Float = 0
                for b in 0..<batch {
                    let offset = (b * channels + c) * spatial
                    // The activation's gradient first, on the row while it is in cache.
                    if let preActivation {
                        gradientRange(preActivation + offset, UnsafePointer(delta + offset), delta + offset, 0..<spatial, activation)
                    }
                    let (s, q) = rowDeltaSums(delta + offset, normalized + offset, spatial)
                    sumDelta += s
                    sumDeltaX += q
                }
                betaUpdate[c] += sumDelta
                gammaUpdate[c] += sumDeltaX
                sums[c] = sumDelta
                sums[channels + c] = sumDeltaX
            }
        }
        var n = Float(batch * spatial)
        if let reduce {
            let global = UnsafeMutablePointer<Double>.allocate(capacity: 2 * channels + 1)
            defer { global.deallocate() }
            for k in 0..<(2 * channels) { global[k] = Double(sums[k]) }
            global[2 * channels] = Double(n)
            reduce(global, 2 * channels + 1)
            for k in 0..<(2 * channels) { sums[k] = Float(global[k]) }
            n = Float(global[2 * channels])
        }
        Parallel.chunks(channels) { range in
            for c in range {
                let scale = gamma[c] / (variance[c] + 0.00001).squareRoot()
                let meanDelta = sums[c] / n, meanDeltaX = sums[channels + c] / n
                for b in 0..<batch {
                    let offset = (b * channels + c) * spatial
                    for i in 0..<spatial {
                        delta[offset + i] = scale * (delta[offset + i] - meanDelta - normalized[offset + i] * meanDeltaX)
                    }
                }
            }
        }
    }

    /// `update[c] += Σ_b Σ_i delta[b][c][i]` (bias gradients).
    static func sumPerChannel(_ delta: UnsafePointer<Float>, batch: Int, channels: Int, spatial: Int, into update: UnsafeMutablePointer<Float>) {
        for b in 0..<batch {
            for c in 0..<channels {
                let row = delta + (b * channels + c) * spatial
                var s: Float = 0
                for i in 0..<spatial { s += row[i] }
                update[c] += s
            }
        }
    }
}
