import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[cost]`: a terminal loss layer. At inference it passes its input through (darknet takes the network's output
/// from the last layer that is not a cost layer); its training error is `sse`, `masked` or `smooth` (spec §1.8.14).
public final class CostLayer: Layer {
    public let config: CostConfig

    init(spec: LayerSpec, config: CostConfig) {
        self.config = config
        super.init(spec: spec)
    }

    public override var typeName: String { "cost" }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        inputShape = input
        return input
    }

    public override func forward(_ ctx: ForwardContext) {
        let n = ctx.batch * outputShape.count
        guard ctx.training, let truth = ctx.truth?.vectors, truth.count == n else {
            output.pointer.update(from: ctx.input, count: n)
            return
        }
        // darknet: delta = t − x; output holds the per-element error; cost = Σ error.
        var total: Float = 0
        for i in 0..<n {
            let diff = truth[i] - ctx.input[i]
            switch config.type {
            case .sse, .masked:
                delta[i] = diff
                output[i] = diff * diff
            case .smooth:
                let a = abs(diff)
                if a < 1 {
                    output[i] = diff * diff
                    delta[i] = diff
                } else {
                    output[i] = 2 * a - 1
                    delta[i] = diff < 0 ? -1 : 1
                }
            }
            if config.type == .masked && truth[i] == .greatestFiniteMagnitude { delta[i] = 0; output[i] = 0 }
            total += output[i]
        }
        cost = total
    }

    public override func backward(_ ctx: BackwardContext) {
        guard let inputDelta = ctx.inputDelta else { return }
        Kernels.axpy(config.scale, delta.pointer, into: inputDelta, count: ctx.batch * outputShape.count)
    }

    public override var tableText: String { String(format: "cost                                           %4d", inputShape.count) }
}
