import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[upsample]`: nearest-neighbour ×stride (times `scale`); a negative stride sums s×s blocks (spec §1.8.7).
public final class UpsampleLayer: Layer {
    public let config: UpsampleConfig

    init(spec: LayerSpec, config: UpsampleConfig) {
        self.config = config
        super.init(spec: spec)
    }

    public override var typeName: String { config.stride > 0 ? "upsample" : "downsample" }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        inputShape = input
        if config.stride > 0 {
            return Shape(w: input.w * config.stride, h: input.h * config.stride, c: input.c)
        }
        let s = -config.stride
        guard input.w / s >= 1, input.h / s >= 1 else { throw ShapeError("down-sampling by \(s) leaves no pixels of the \(input.w)×\(input.h) input") }
        return Shape(w: input.w / s, h: input.h / s, c: input.c)
    }

    public override func forward(_ ctx: ForwardContext) {
        for b in 0..<ctx.batch {
            let src = ctx.input + b * inputShape.count
            let dst = output.pointer + b * outputShape.count
            if config.stride > 0 {
                Kernels.upsample(channels: inputShape.c, height: inputShape.h, width: inputShape.w, stride: config.stride,
                                 scale: config.scale, input: src, output: dst)
            } else {
                Kernels.downsampleSum(channels: inputShape.c, height: inputShape.h, width: inputShape.w, stride: -config.stride,
                                      scale: config.scale, input: src, output: dst)
            }
        }
    }

    public override func backward(_ ctx: BackwardContext) {
        guard let inputDelta = ctx.inputDelta else { return }
        let w = inputShape.w, h = inputShape.h
        for b in 0..<ctx.batch {
            let d = delta.pointer + b * outputShape.count
            let target = inputDelta + b * inputShape.count
            if config.stride > 0 {
                let s = config.stride, ow = outputShape.w
                for c in 0..<inputShape.c {
                    for y in 0..<h {
                        for x in 0..<w {
                            var sum: Float = 0
                            for dy in 0..<s { for dx in 0..<s { sum += d[(c * h * s + y * s + dy) * ow + x * s + dx] } }
                            target[(c * h + y) * w + x] += config.scale * sum
                        }
                    }
                }
            } else {
                let s = -config.stride, ow = outputShape.w, oh = outputShape.h
                for c in 0..<inputShape.c {
                    for y in 0..<(oh * s) {
                        for x in 0..<(ow * s) {
                            target[(c * h + y) * w + x] += config.scale * d[(c * oh + y / s) * ow + x / s]
                        }
                    }
                }
            }
        }
    }

    public override var tableText: String {
        String(format: "%@                %2dx  %4d x%4d x%4d -> %4d x%4d x%4d", config.stride > 0 ? "upsample" : "downsample",
               abs(config.stride), inputShape.w, inputShape.h, inputShape.c, outputShape.w, outputShape.h, outputShape.c)
    }
}
