import Foundation
import SwiftnetCore
import SwiftnetFormat

/// darknet's learning-rate schedule (`network.c:get_current_rate`, spec §1.7).
public struct LearningRateSchedule {
    public let net: NetConfig
    /// `learning_rate × #GPUs` (one "GPU" here).
    public var baseRate: Float
    /// The iteration training ends at (the cfg's `max_batches` unless overridden); `poly` decays to 0 there.
    public let maxBatches: Int
    private var rng: SeededRandom

    public init(net: NetConfig, maxBatches: Int? = nil, seed: UInt64 = 0) {
        self.net = net
        self.maxBatches = maxBatches ?? net.maxBatches
        baseRate = net.learningRate
        rng = SeededRandom(seed: seed ^ 0x5EED)
    }

    /// Whether iteration `t` (1-based: the update being applied) is still in burn-in.
    public func inBurnIn(_ t: Int) -> Bool { t < net.burnIn }

    /// The rate for the update of iteration `t` (completed iterations including this one; the first update is 1).
    public mutating func rate(at t: Int) -> Float {
        let lr = baseRate
        if t < net.burnIn {
            return lr * powf(Float(t) / Float(net.burnIn), net.power)
        }
        switch net.policy {
        case .constant: return lr
        case .step: return lr * powf(net.scale, Float(t / max(1, net.step)))
        case .steps:
            var rate = lr
            for (step, scale) in zip(net.steps, net.scales) {
                if step > t { break }
                rate *= scale
            }
            return rate
        case .exp: return lr * powf(net.gamma, Float(t))
        case .poly: return lr * powf(max(0, 1 - Float(t) / Float(max(1, maxBatches))), net.power)
        case .sigmoid: return lr / (1 + expf(net.gamma * Float(t - net.step)))
        case .random: return lr * powf(rng.nextFloat(), net.power)
        case .sgdr:
            var cycle = max(1, net.sgdrCycle)
            var start = 0
            while start + cycle < t {
                start += cycle
                cycle *= max(1, net.sgdrMult)
            }
            return net.learningRateMin + 0.5 * (lr - net.learningRateMin) * (1 + cosf(Float(t - start) * 3.14159265 / Float(cycle)))
        }
    }

    /// A sentence for the start of training: where in the schedule iteration `t` is.
    public mutating func describe(iteration t: Int) -> String {
        let r = rate(at: max(1, t))
        if t < net.burnIn {
            return String(format: "learning rate %g (burn-in: %d of %d iterations, rate = %g·(t/%d)^%g, full rate %g from iteration %d)",
                          r, t, net.burnIn, baseRate, net.burnIn, net.power, baseRate, net.burnIn)
        }
        return String(format: "learning rate %g (policy %@)", r, net.policy.rawValue)
    }
}
