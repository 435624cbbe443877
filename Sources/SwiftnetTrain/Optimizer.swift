import Foundation
import SwiftnetCore
import SwiftnetFormat
import SwiftnetLayers

/// darknet's parameter update, once per iteration.
///
/// SGD (spec §5.7): update buffers hold the summed negative gradients of the iteration's B images and double as
/// momentum; weights decay `U ← U − λ·B·W`; then `W ← W + (η/B)·U` and `U ← μ·U`.
///
/// Adam (`adam=1`), as darknet's GPU build runs it (its CPU build ignores the key): for every array of a
/// `[convolutional]` layer — weights, biases and batch-norm scales, all with decay — `d = U − λ·B·W`,
/// `m ← β₁m + (1−β₁)d`, `v ← β₂v + (1−β₂)d²`, `W ← W + η·m̂ / (√v̂ + ε)` with `m̂ = m/(1−β₁ᵗ)`, `v̂ = v/(1−β₂ᵗ)`,
/// t the iteration just finished, η not divided by B; then `U ← 0`. Other layers keep SGD, as in darknet. The
/// moments are not stored in `.weights` files, so a resumed run restarts them at zero.
///
/// Per-layer keys: `learning_rate` scales η; `dont_update`, `train_only_bn` and `burnin_update` (no update while
/// `iteration < burnin_update × burn_in`; gradients keep accumulating until the first update) as in darknet.
public final class Optimizer {
    public var momentum: Float
    public var decay: Float
    /// β₁, β₂ and ε with Adam; nil for SGD.
    public var adam: (b1: Float, b2: Float, eps: Float)?
    public var burnIn: Int
    private var moments: [ObjectIdentifier: (m: Buffer, v: Buffer)] = [:]

    public init(momentum: Float, decay: Float, adam: (b1: Float, b2: Float, eps: Float)? = nil, burnIn: Int = 0) {
        self.momentum = momentum
        self.decay = decay
        self.adam = adam
        self.burnIn = burnIn
    }

    /// The optimizer a cfg's `[net]` section asks for.
    public convenience init(net: NetConfig) {
        self.init(momentum: net.momentum, decay: net.decay, adam: net.adam ? (net.b1, net.b2, net.eps) : nil, burnIn: net.burnIn)
    }

    /// Applies one step to every trainable layer at or above `firstLayer`; `iteration` is the iteration just finished
    /// (1 for the first).
    public func step(network: Network, rate: Float, imagesPerIteration batch: Int, iteration: Int, firstLayer: Int = 0) {
        let b = Float(batch)
        for layer in network.layers where layer.index >= firstLayer {
            let common = layer.spec.common
            if common.burninUpdate > 0 && common.burninUpdate * burnIn > iteration { continue }
            let frozen = common.dontUpdate > 0 && iteration <= common.dontUpdate
            let eta = rate * common.learningRateScale
            let useAdam = adam != nil && layer is ConvolutionalLayer
            for t in layer.trainables {
                let value = t.value.pointer, update = t.update.pointer
                let n = t.value.count
                if frozen || (common.trainOnlyBN && t.kind == .weights) {
                    update.update(repeating: 0, count: n)
                    continue
                }
                if useAdam, let adam {
                    adamStep(t, eta: eta, decay: decay * b, iteration: iteration, adam)
                } else {
                    let decay = t.decays ? self.decay * b : 0
                    let scale = eta / b
                    for i in 0..<n {
                        var u = update[i]
                        if decay != 0 { u -= decay * value[i] }
                        value[i] += scale * u
                        update[i] = momentum * u
                    }
                }
                if common.clip > 0 {
                    for i in 0..<n { value[i] = min(common.clip, max(-common.clip, value[i])) }
                }
            }
        }
    }

    private func adamStep(_ t: Trainable, eta: Float, decay: Float, iteration: Int, _ adam: (b1: Float, b2: Float, eps: Float)) {
        let key = ObjectIdentifier(t)
        if moments[key] == nil { moments[key] = (Buffer(count: t.value.count), Buffer(count: t.value.count)) }
        let (mBuffer, vBuffer) = moments[key]!
        let w = t.value.pointer, d = t.update.pointer, m = mBuffer.pointer, v = vBuffer.pointer
        let t1 = Float(max(1, iteration))
        let correction1 = 1 - powf(adam.b1, t1), correction2 = 1 - powf(adam.b2, t1)
        for i in 0..<t.value.count {
            let g = d[i] - decay * w[i]
            m[i] = adam.b1 * m[i] + (1 - adam.b1) * g
            v[i] = adam.b2 * v[i] + (1 - adam.b2) * g * g
            w[i] += eta * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + adam.eps)
            d[i] = 0
        }
    }
}

/// Exponential moving average of the trainable parameters (`ema_alpha`, spec §5.8).
public final class ParameterEMA {
    public let alpha: Float
    private var shadows: [Buffer] = []

    public init(alpha: Float) { self.alpha = alpha }

    public var isInitialized: Bool { !shadows.isEmpty }

    /// Starts the average at the current values.
    public func initialize(from network: Network) {
        shadows = network.layers.flatMap { $0.trainables.map { t -> Buffer in
            let copy = Buffer(count: t.value.count)
            copy.copy(from: t.value)
            return copy
        } }
    }

    /// `e ← α·e + (1−α)·w`.
    public func update(from network: Network) {
        var k = 0
        for layer in network.layers {
            for t in layer.trainables {
                let e = shadows[k].pointer, w = t.value.pointer
                for i in 0..<t.value.count { e[i] = alpha * e[i] + (1 - alpha) * w[i] }
                k += 1
            }
        }
    }

    /// Copies the averages into the live parameters.
    public func apply(to network: Network) {
        var k = 0
        for layer in network.layers {
            for t in layer.trainables {
                t.value.copy(from: shadows[k])
                k += 1
            }
        }
    }

    /// Swaps averages and live parameters (to save the averaged weights and swap back).
    public func swap(with network: Network) {
        var k = 0
        for layer in network.layers {
            for t in layer.trainables {
                let e = shadows[k].pointer, w = t.value.pointer
                for i in 0..<t.value.count { let v = e[i]; e[i] = w[i]; w[i] = v }
                k += 1
            }
        }
    }
}
