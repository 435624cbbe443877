import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[dropout]`: identity at inference; in training each element is zeroed with probability p and the rest scaled
/// by 1/(1−p) (spec §1.8.11).
public final class DropoutLayer: Layer {
    public let config: DropoutConfig

    init(spec: LayerSpec, config: DropoutConfig) {
        self.config = config
        super.init(spec: spec)
    }

    public override var typeName: String { "dropout" }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        inputShape = input
        return input
    }

    public override func forward(_ ctx: ForwardContext) {
        output.pointer.update(from: ctx.input, count: ctx.batch * outputShape.count)
    }

    public override var tableText: String {
        String(format: "dropout       p = %.2f                  %4d  ->   %4d", config.probability, inputShape.count, outputShape.count)
    }
}
