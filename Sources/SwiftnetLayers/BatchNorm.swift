import Foundation
import SwiftnetCore
import SwiftnetFormat

/// Stand-alone `[batchnorm]`: `scale·(x − mean)/sqrt(var + 1e-5) + bias` with rolling statistics at inference.
public final class BatchNormLayer: Layer {
    public private(set) var biases = Buffer(count: 0)
    public private(set) var scales = Buffer(count: 0)
    public private(set) var rollingMean = Buffer(count: 0)
    public private(set) var rollingVariance = Buffer(count: 0)

    public override var typeName: String { "batchnorm" }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        if biases.count == 0 {
            biases = Buffer(count: input.c)
            scales = Buffer(count: input.c)
            scales.fill(1)
            rollingMean = Buffer(count: input.c)
            rollingVariance = Buffer(count: input.c)
            rollingVariance.fill(1)
        } else if biases.count != input.c {
            throw ShapeError("resizing changed the channel count of a batchnorm layer")
        }
        inputShape = input
        return input
    }

    public override var parameters: [ParameterArray] {
        [ParameterArray(name: "biases", buffer: biases), ParameterArray(name: "scales", buffer: scales),
         ParameterArray(name: "rolling_mean", buffer: rollingMean), ParameterArray(name: "rolling_variance", buffer: rollingVariance)]
    }

    private var normalized = Buffer(count: 0)
    private var batchMean = Buffer(count: 0)
    private var batchVariance = Buffer(count: 0)
    private lazy var weightTrainables = [Trainable(name: "biases", kind: .biases, value: biases),
                                         Trainable(name: "scales", kind: .scales, value: scales)]

    public override var trainables: [Trainable] { weightTrainables }

    public override var trainingFloatsPerImage: Int { outputShape.count }

    public override func allocateTraining() {
        if normalized.count != batch * outputShape.count {
            normalized = Buffer(count: batch * outputShape.count)
            batchMean = Buffer(count: inputShape.c)
            batchVariance = Buffer(count: inputShape.c)
        }
        _ = weightTrainables
    }

    public override func backward(_ ctx: BackwardContext) {
        Kernels.batchNormBackward(delta.pointer, normalized: normalized.pointer, batch: ctx.batch, channels: inputShape.c,
                                  spatial: inputShape.spatial, gamma: scales.pointer, variance: batchVariance.pointer,
                                  gammaUpdate: weightTrainables[1].update.pointer, betaUpdate: weightTrainables[0].update.pointer)
        passDelta(ctx)
    }

    public override func forward(_ ctx: ForwardContext) {
        let spatial = inputShape.spatial
        if ctx.training {
            Kernels.batchNormForward(ctx.input, batch: ctx.batch, channels: inputShape.c, spatial: spatial, gamma: scales.pointer,
                                     beta: biases.pointer, mean: batchMean.pointer, variance: batchVariance.pointer,
                                     normalized: normalized.pointer, output: output.pointer)
            let n = Float(ctx.batch * spatial)
            let unbiased = n > 1 ? n / (n - 1) : 1
            for c in 0..<inputShape.c {
                rollingMean[c] = 0.99 * rollingMean[c] + 0.01 * batchMean[c]
                rollingVariance[c] = 0.99 * rollingVariance[c] + 0.01 * batchVariance[c] * unbiased
            }
            return
        }
        for b in 0..<ctx.batch {
            for c in 0..<inputShape.c {
                let offset = (b * inputShape.c + c) * spatial
                let factor = scales[c] / (rollingVariance[c] + 0.00001).squareRoot()
                let mean = rollingMean[c], beta = biases[c]
                for i in 0..<spatial { output[offset + i] = (ctx.input[offset + i] - mean) * factor + beta }
            }
        }
    }

    public override var tableText: String {
        "Batch Normalization Layer: \(inputShape.w) x \(inputShape.h) x \(inputShape.c) image"
    }
}
