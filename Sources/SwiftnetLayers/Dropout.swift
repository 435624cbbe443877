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

    /// Training: the kept-and-scaled factor (0 or 1/(1−p)) of each element.
    private var mask = Buffer(count: 0)
    private var rng = SeededRandom(seed: 0xD50)

    public override func allocateTraining() {
        if mask.count != batch * outputShape.count { mask = Buffer(count: batch * outputShape.count) }
        rng = SeededRandom(seed: 0xD50 &+ UInt64(index))
    }

    public override func forward(_ ctx: ForwardContext) {
        let n = ctx.batch * outputShape.count
        guard ctx.training, config.probability > 0 else {
            output.pointer.update(from: ctx.input, count: n)
            return
        }
        let keep = 1 / (1 - config.probability)
        for i in 0..<n {
            mask[i] = rng.nextFloat() < config.probability ? 0 : keep
            output[i] = ctx.input[i] * mask[i]
        }
    }

    public override func backward(_ ctx: BackwardContext) {
        guard let inputDelta = ctx.inputDelta else { return }
        let n = ctx.batch * outputShape.count
        if config.probability > 0 {
            for i in 0..<n { inputDelta[i] += delta[i] * mask[i] }
        } else {
            passDelta(ctx)
        }
    }

    /// Seeds the dropout masks (for reproducible training runs).
    public func seed(_ value: UInt64) { rng = SeededRandom(seed: value) }

    public override var tableText: String {
        String(format: "dropout       p = %.2f                  %4d  ->   %4d", config.probability, inputShape.count, outputShape.count)
    }
}
