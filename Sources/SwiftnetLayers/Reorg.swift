import Foundation
import SwiftnetCore
import SwiftnetFormat

/// Legacy `[reorg]` (YOLOv2's `reorg_old`): darknet's own permutation, which reads the input as if it had shape
/// `(c/s², h·s, w·s)` (spec §1.8.13). Only needed for old YOLOv2 weights.
public final class ReorgLayer: Layer {
    public let config: ReorgConfig

    init(spec: LayerSpec, config: ReorgConfig) {
        self.config = config
        super.init(spec: spec)
    }

    public override var typeName: String { "reorg_old" }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        inputShape = input
        return try reorgShape(input, stride: config.stride, reverse: config.reverse)
    }

    public override func forward(_ ctx: ForwardContext) {
        for b in 0..<ctx.batch {
            Kernels.reorgLegacy(channels: inputShape.c, height: inputShape.h, width: inputShape.w, stride: config.stride,
                                forward: config.reverse, input: ctx.input + b * inputShape.count,
                                output: output.pointer + b * outputShape.count)
        }
    }

    public override func backward(_ ctx: BackwardContext) {
        guard let inputDelta = ctx.inputDelta else { return }
        var scratch = [Float](repeating: 0, count: inputShape.count)
        for b in 0..<ctx.batch {
            scratch.withUnsafeMutableBufferPointer { s in
                Kernels.reorgLegacy(channels: inputShape.c, height: inputShape.h, width: inputShape.w, stride: config.stride,
                                    forward: !config.reverse, input: delta.pointer + b * outputShape.count, output: s.baseAddress!)
                Kernels.add(s.baseAddress!, into: inputDelta + b * inputShape.count, count: inputShape.count)
            }
        }
    }

    public override var tableText: String {
        String(format: "reorg_old                /%2d %4d x%4d x%4d -> %4d x%4d x%4d", config.stride, inputShape.w, inputShape.h,
               inputShape.c, outputShape.w, outputShape.h, outputShape.c)
    }
}

/// Output shape of both reorg kinds.
func reorgShape(_ input: Shape, stride s: Int, reverse: Bool) throws -> Shape {
    if reverse {
        guard input.c % (s * s) == 0 else { throw ShapeError("\(input.c) channels are not divisible by stride²=\(s * s)") }
        return Shape(w: input.w * s, h: input.h * s, c: input.c / (s * s))
    }
    guard input.w % s == 0, input.h % s == 0 else {
        throw ShapeError("the \(input.w)×\(input.h) input is not divisible by stride=\(s)")
    }
    return Shape(w: input.w / s, h: input.h / s, c: input.c * s * s)
}
