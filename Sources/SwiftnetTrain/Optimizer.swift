import SwiftnetCore
import SwiftnetFormat
import SwiftnetLayers

/// darknet's SGD step (spec §5.7): update buffers hold the summed negative gradients of the iteration's B images and
/// double as momentum; weights decay `U ← U − λ·B·W`; then `W ← W + (η/B)·U` and `U ← μ·U`.
public struct SGD {
    public var momentum: Float
    public var decay: Float

    public init(momentum: Float, decay: Float) {
        self.momentum = momentum
        self.decay = decay
    }

    /// Applies one step to every trainable layer at or above `firstLayer`, honouring per-layer `learning_rate`
    /// multipliers, `dont_update` and `train_only_bn`.
    public func step(network: Network, rate: Float, imagesPerIteration batch: Int, iteration: Int, firstLayer: Int = 0) {
        let b = Float(batch)
        for layer in network.layers where layer.index >= firstLayer {
            let common = layer.spec.common
            let frozen = common.dontUpdate > 0 && iteration <= common.dontUpdate
            let eta = rate * common.learningRateScale
            for t in layer.trainables {
                let value = t.value.pointer, update = t.update.pointer
                let n = t.value.count
                if frozen || (common.trainOnlyBN && t.kind == .weights) {
                    update.update(repeating: 0, count: n)
                    continue
                }
                let decay = t.decays ? self.decay * b : 0
                let scale = eta / b
                for i in 0..<n {
                    var u = update[i]
                    if decay != 0 { u -= decay * value[i] }
                    value[i] += scale * u
                    update[i] = momentum * u
                }
                if common.clip > 0 {
                    for i in 0..<n { value[i] = min(common.clip, max(-common.clip, value[i])) }
                }
            }
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
