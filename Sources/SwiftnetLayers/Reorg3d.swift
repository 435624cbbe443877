import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[reorg3d]`: space-to-depth by `stride` (offset-major channel order), or depth-to-space with `reverse=1`
/// (spec §1.8.13).
public final class Reorg3dLayer: Layer {
    public let config: ReorgConfig

    init(spec: LayerSpec, config: ReorgConfig) {
        self.config = config
        super.init(spec: spec)
    }

    public override var typeName: String { "reorg" }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        inputShape = input
        return try reorgShape(input, stride: config.stride, reverse: config.reverse)
    }

    public override func forward(_ ctx: ForwardContext) {
        for b in 0..<ctx.batch {
            Kernels.reorg3d(channels: inputShape.c, height: inputShape.h, width: inputShape.w, stride: config.stride,
                            reverse: config.reverse, input: ctx.input + b * inputShape.count,
                            output: output.pointer + b * outputShape.count)
        }
    }

    /// The permutation's transpose: the opposite direction, added into the input delta.
    public override func backward(_ ctx: BackwardContext) {
        guard let inputDelta = ctx.inputDelta else { return }
        var scratch = [Float](repeating: 0, count: inputShape.count)
        for b in 0..<ctx.batch {
            scratch.withUnsafeMutableBufferPointer { s in
                Kernels.reorg3d(channels: outputShape.c, height: outputShape.h, width: outputShape.w, stride: config.stride,
                                reverse: !config.reverse, input: delta.pointer + b * outputShape.count, output: s.baseAddress!)
                Kernels.add(s.baseAddress!, into: inputDelta + b * inputShape.count, count: inputShape.count)
            }
        }
    }

    public override var tableText: String {
        String(format: "reorg                    /%2d %4d x%4d x%4d -> %4d x%4d x%4d", config.stride, inputShape.w, inputShape.h,
               inputShape.c, outputShape.w, outputShape.h, outputShape.c)
    }
}
