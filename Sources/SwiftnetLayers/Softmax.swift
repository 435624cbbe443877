import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[softmax]`: softmax over each of `groups` contiguous segments of the flat input (or per pixel across channels
/// with `spatial=1`), with temperature (spec §1.8.9).
public final class SoftmaxLayer: Layer {
    public let config: SoftmaxConfig

    init(spec: LayerSpec, config: SoftmaxConfig) {
        self.config = config
        super.init(spec: spec)
    }

    public override var typeName: String { "softmax" }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        guard config.spatial || input.count % config.groups == 0 else {
            throw ShapeError("\(input.count) inputs are not divisible by groups=\(config.groups)")
        }
        inputShape = input
        return input
    }

    public override func forward(_ ctx: ForwardContext) {
        let size = inputShape.count
        for b in 0..<ctx.batch {
            let src = ctx.input + b * size
            let dst = output.pointer + b * size
            if config.spatial {
                let spatial = inputShape.spatial
                for i in 0..<spatial {
                    Kernels.softmax(src + i, count: inputShape.c, temperature: config.temperature, stride: spatial, output: dst + i)
                }
            } else {
                let n = size / config.groups
                for g in 0..<config.groups {
                    Kernels.softmax(src + g * n, count: n, temperature: config.temperature, output: dst + g * n)
                }
            }
        }
        crossEntropy = nil
        if ctx.training, let truth = ctx.truth, !config.noloss { computeLoss(truth: truth.vectors, batch: ctx.batch) }
    }

    /// Training with target vectors: `delta = t − p` (the cross-entropy gradient with respect to the logits) and
    /// darknet's cost `Σ_{t≠0} −ln p` (not weighted by t).
    func computeLoss(truth: [Float], batch: Int) {
        let n = batch * inputShape.count
        guard truth.count == n else { cost = nil; return }
        var total: Float = 0
        var entropy: Float = 0
        for i in 0..<n {
            delta[i] = truth[i] - output[i]
            if truth[i] != 0 {
                let logP = logf(max(output[i], .leastNormalMagnitude))
                total -= logP
                entropy -= truth[i] * logP
            }
        }
        cost = total
        crossEntropy = entropy
    }

    /// The cross-entropy `−Σ t·ln p` of the last training forward (summed over the batch): the quantity the delta
    /// is the gradient of. With label smoothing darknet's `cost` instead sums `−ln p` over every non-zero target,
    /// which grows as the network becomes confident; the trainer reports this one.
    public private(set) var crossEntropy: Float?

    public override func backward(_ ctx: BackwardContext) { passDelta(ctx) }

    public override var tableText: String {
        String(format: "softmax                                        %4d", inputShape.count)
    }
}
