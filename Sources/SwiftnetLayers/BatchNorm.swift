import Foundation
import SwiftnetCore
import SwiftnetFormat

/// Stand-alone `[batchnorm]`: `scale·(x − mean)/sqrt(var + 1e-5) + bias` with rolling statistics at inference.
public final class BatchNormLayer: Layer {
    public private(set) var biases = Buffer(count: 0)
    public private(set) var bn = BatchNormState(channels: 0)
    public var scales: Buffer { bn.scales }
    public var rollingMean: Buffer { bn.rollingMean }
    public var rollingVariance: Buffer { bn.rollingVariance }

    public override var typeName: String { "batchnorm" }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        if biases.count == 0 {
            biases = Buffer(count: input.c)
            bn = BatchNormState(channels: input.c)
        } else if biases.count != input.c {
            throw ShapeError("resizing changed the channel count of a batchnorm layer")
        }
        inputShape = input
        return input
    }

    public override var parameters: [ParameterArray] { [ParameterArray(name: "biases", buffer: biases)] + bn.parameters }

    private lazy var biasTrainable = Trainable(name: "biases", kind: .biases, value: biases)

    public override var trainables: [Trainable] { [biasTrainable, bn.scaleTrainable] }

    public override var trainingFloatsPerImage: Int { outputShape.count }

    public override func allocateTraining() {
        bn.allocateTraining(count: batch * outputShape.count)
        _ = biasTrainable
    }

    public override func backward(_ ctx: BackwardContext) {
        bn.backward(delta.pointer, batch: ctx.batch, spatial: inputShape.spatial, betaUpdate: biasTrainable.update)
        passDelta(ctx)
    }

    public override func forward(_ ctx: ForwardContext) {
        if ctx.training {
            bn.forwardTraining(ctx.input, beta: biases, batch: ctx.batch, spatial: inputShape.spatial, output: output.pointer)
        } else {
            bn.normalize(ctx.input, beta: biases, batch: ctx.batch, spatial: inputShape.spatial, output: output.pointer)
        }
    }

    public override var tableText: String {
        "Batch Normalization Layer: \(inputShape.w) x \(inputShape.h) x \(inputShape.c) image"
    }
}
