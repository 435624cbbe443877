import Foundation
import SwiftnetCore
import SwiftnetFormat

/// Legacy `[reorg]` (YOLOv2's `reorg_old`): darknet's own permutation, which reads the input as if it had shape
/// `(c/s², h·s, w·s)` (spec §1.8.13). Only needed for old YOLOv2 weights.
public final class ReorgLayer: PermutationLayer {
    public override var typeName: String { "reorg_old" }

    override func permute(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, inverse: Bool) {
        // The legacy kernel is indexed by the input shape in both directions.
        Kernels.reorgLegacy(channels: inputShape.c, height: inputShape.h, width: inputShape.w, stride: config.stride,
                            forward: config.reverse != inverse, input: input, output: output)
    }
}

/// What both reorg kinds share: the output shape, the batch loop, the table line, and a backward pass that applies
/// the inverse permutation to the delta and adds it into the input delta.
public class PermutationLayer: Layer {
    public let config: ReorgConfig

    init(spec: LayerSpec, config: ReorgConfig) {
        self.config = config
        super.init(spec: spec)
    }

    /// Writes the permutation of one image (`inverse`: the transpose, from output layout back to input layout).
    func permute(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, inverse: Bool) {}

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        inputShape = input
        return try reorgShape(input, stride: config.stride, reverse: config.reverse)
    }

    public override func forward(_ ctx: ForwardContext) {
        for b in 0..<ctx.batch {
            permute(ctx.input + b * inputShape.count, output.pointer + b * outputShape.count, inverse: false)
        }
    }

    public override func backward(_ ctx: BackwardContext) {
        guard let inputDelta = ctx.inputDelta else { return }
        var scratch = [Float](repeating: 0, count: inputShape.count)
        for b in 0..<ctx.batch {
            scratch.withUnsafeMutableBufferPointer { s in
                permute(delta.pointer + b * outputShape.count, s.baseAddress!, inverse: true)
                Kernels.add(s.baseAddress!, into: inputDelta + b * inputShape.count, count: inputShape.count)
            }
        }
    }

    public override var tableText: String {
        typeName.padding(toLength: 25, withPad: " ", startingAt: 0)
            + String(format: "/%2d %4d x%4d x%4d -> %4d x%4d x%4d", config.stride, inputShape.w, inputShape.h,
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
