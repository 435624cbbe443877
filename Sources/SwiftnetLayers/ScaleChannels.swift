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
        Kernels.activate(output.pointer, batch: ctx.batch, channels: outputShape.c, spatial: spatial, config.activation)
    }

    public override var tableText: String { "scale Layer: \(config.from)" }
}
