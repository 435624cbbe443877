import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[empty]` / `[silence]`: passes the previous layer's output through unchanged.
public final class EmptyLayer: Layer {
    public override var typeName: String { "empty" }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        inputShape = input
        return input
    }

    public override func forward(_ ctx: ForwardContext) {
        output.pointer.update(from: ctx.input, count: ctx.batch * outputShape.count)
    }

    public override func backward(_ ctx: BackwardContext) { passDelta(ctx) }

    public override var tableText: String { String(format: "empty                                          %4d", inputShape.count) }
}
