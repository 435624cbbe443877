import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[sam]` (spatial attention): `act(prev ⊙ out_from)`, same shape (spec §1.8.12).
public final class SamLayer: Layer {
    public let config: SamConfig
    private var source: Layer?

    init(spec: LayerSpec, config: SamConfig) {
        self.config = config
        super.init(spec: spec)
    }

    public override var typeName: String { "scale Layer" }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        let from = layers[config.from]
        guard from.outputShape == input else {
            throw ShapeError("sam: layer \(config.from) is \(from.outputShape) but the previous layer is \(input); they must match")
        }
        source = from
        inputShape = input
        return input
    }

    private var preActivation = Buffer(count: 0)

    public override var trainingFloatsPerImage: Int { outputShape.count }

    public override func allocateTraining() {
        if preActivation.count != batch * outputShape.count { preActivation = Buffer(count: batch * outputShape.count) }
    }

    public override func forward(_ ctx: ForwardContext) {
        guard let source else { return }
        let n = ctx.batch * outputShape.count
        let s = source.output.pointer
        let o = output.pointer
        for i in 0..<n { o[i] = ctx.input[i] * s[i] }
        if ctx.training { preActivation.pointer.update(from: o, count: n) }
        Kernels.activate(o, batch: ctx.batch, channels: outputShape.c, spatial: outputShape.spatial, config.activation)
    }

    public override func backward(_ ctx: BackwardContext) {
        guard let source else { return }
        let n = ctx.batch * outputShape.count
        Kernels.activationGradient(preActivation.pointer, delta: delta.pointer, batch: ctx.batch, channels: outputShape.c,
                                   spatial: outputShape.spatial, config.activation)
        if let inputDelta = ctx.inputDelta {
            for i in 0..<n { inputDelta[i] += delta[i] * source.output[i] }
        }
        if source.training {
            for i in 0..<n { source.delta[i] += delta[i] * ctx.input[i] }
        }
    }

    public override var tableText: String { "scale Layer: \(config.from)" }
}
