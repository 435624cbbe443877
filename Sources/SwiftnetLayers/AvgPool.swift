import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[avgpool]`: global average per channel → 1×1×C (spec §1.8.4).
public final class AvgPoolLayer: Layer {
    public override var typeName: String { "avg" }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        inputShape = input
        return Shape(w: 1, h: 1, c: input.c)
    }

    public override func forward(_ ctx: ForwardContext) {
        for b in 0..<ctx.batch {
            Kernels.globalAvgpool(channels: inputShape.c, spatial: inputShape.spatial, input: ctx.input + b * inputShape.count,
                                  output: output.pointer + b * outputShape.count)
        }
    }

    public override func backward(_ ctx: BackwardContext) {
        guard let inputDelta = ctx.inputDelta else { return }
        let spatial = inputShape.spatial
        for b in 0..<ctx.batch {
            for c in 0..<inputShape.c {
                let share = delta[b * outputShape.count + c] / Float(spatial)
                let row = inputDelta + b * inputShape.count + c * spatial
                for i in 0..<spatial { row[i] += share }
            }
        }
    }

    public override var tableText: String {
        String(format: "avg                          %4d x%4d x%4d ->   %4d", inputShape.w, inputShape.h, inputShape.c, outputShape.c)
    }
}
