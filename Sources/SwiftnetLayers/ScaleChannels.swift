import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[scale_channels]`: multiplies layer `from`'s output per channel by the previous 1×1×C output (or per pixel by
/// a W×H×1 output with `scale_wh=1`); output has `from`'s shape (spec §1.8.12).
public final class ScaleChannelsLayer: Layer {
    public let config: ScaleChannelsConfig
    private var source: Layer?

    init(spec: LayerSpec, config: ScaleChannelsConfig) {
        self.config = config
        super.init(spec: spec)
    }

    public override var typeName: String { "scale Layer" }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        let from = layers[config.from].outputShape
        if config.scaleWH {
            guard input.w == from.w, input.h == from.h, input.c == 1 else {
                throw ShapeError("scale_channels with scale_wh=1 needs a \(from.w)×\(from.h)×1 previous layer, got \(input)")
            }
        } else {
            guard input.w == 1, input.h == 1, input.c == from.c else {
                throw ShapeError("scale_channels needs a 1×1×\(from.c) previous layer, got \(input)")
            }
        }
        source = layers[config.from]
        inputShape = input
        return from
    }

    public override func forward(_ ctx: ForwardContext) {
        guard let source else { return }
        let size = outputShape.count, spatial = outputShape.spatial
        for b in 0..<ctx.batch {
            let s = source.output.pointer + b * size
            let o = output.pointer + b * size
            let scale = ctx.input + b * inputShape.count
            if config.scaleWH {
                for i in 0..<size { o[i] = scale[i % spatial] * s[i] }
            } else {
                for i in 0..<size { o[i] = scale[i / spatial] * s[i] }
            }
        }
        if ctx.training { preActivation.pointer.update(from: output.pointer, count: ctx.batch * size) }
        Kernels.activate(output.pointer, batch: ctx.batch, channels: outputShape.c, spatial: spatial, config.activation)
    }

    private var preActivation = Buffer(count: 0)

    public override var trainingFloatsPerImage: Int { outputShape.count }

    public override func allocateTraining() {
        if preActivation.count != batch * outputShape.count { preActivation = Buffer(count: batch * outputShape.count) }
    }

    public override func backward(_ ctx: BackwardContext) {
        guard let source else { return }
        let size = outputShape.count, spatial = outputShape.spatial
        Kernels.activationGradient(preActivation.pointer, delta: delta.pointer, batch: ctx.batch, channels: outputShape.c,
                                   spatial: spatial, config.activation)
        for b in 0..<ctx.batch {
            let d = delta.pointer + b * size
            let s = source.output.pointer + b * size
            let scale = ctx.input + b * inputShape.count
            if let inputDelta = ctx.inputDelta {
                let target = inputDelta + b * inputShape.count
                for i in 0..<size { target[config.scaleWH ? i % spatial : i / spatial] += d[i] * s[i] }
            }
            if source.training {
                let sd = source.delta.pointer + b * size
                for i in 0..<size { sd[i] += d[i] * scale[config.scaleWH ? i % spatial : i / spatial] }
            }
        }
    }

    public override var tableText: String { "scale Layer: \(config.from)" }
}
