import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[activation]`: applies an activation to the previous layer's output.
public final class ActivationLayer: Layer {
    public let activation: Activation

    init(spec: LayerSpec, activation: Activation) {
        self.activation = activation
        super.init(spec: spec)
    }

    public override var typeName: String { "activation" }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        inputShape = input
        return input
    }

    public override func forward(_ ctx: ForwardContext) {
        output.pointer.update(from: ctx.input, count: ctx.batch * outputShape.count)
        Kernels.activate(output.pointer, batch: ctx.batch, channels: outputShape.c, spatial: outputShape.spatial, activation)
    }

    public override func backward(_ ctx: BackwardContext) {
        guard let inputDelta = ctx.inputDelta else { return }
        Kernels.activationGradient(ctx.input, delta: delta.pointer, batch: ctx.batch, channels: outputShape.c,
                                   spatial: outputShape.spatial, activation)
        Kernels.add(delta.pointer, into: inputDelta, count: ctx.batch * outputShape.count)
    }

    public override var tableText: String { "Activation Layer: \(inputShape.count) inputs" }
}
