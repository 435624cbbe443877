import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[cost]`: a terminal loss layer. At inference it passes its input through (darknet takes the network's output
/// from the last layer that is not a cost layer); its training error is `sse`, `masked` or `smooth` (spec §1.8.14).
public final class CostLayer: Layer {
    public let config: CostConfig

    init(spec: LayerSpec, config: CostConfig) {
        self.config = config
        super.init(spec: spec)
    }

    public override var typeName: String { "cost" }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        inputShape = input
        return input
    }

    public override func forward(_ ctx: ForwardContext) {
        output.pointer.update(from: ctx.input, count: ctx.batch * outputShape.count)
    }

    public override var tableText: String { String(format: "cost                                           %4d", inputShape.count) }
}
