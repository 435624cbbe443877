import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[dropout]`: identity at inference. In training, plain dropout zeroes each element with probability p and scales
/// the rest by 1/(1−p) (spec §1.8.11). With `dropblock=1` it drops square blocks instead, as darknet's GPU build
/// does (its CPU build ignores the key): probability and block side grow linearly to their cfg values over the
/// first 85 % of `max_batches`; each image and channel gets at most one block, seeded at the smallest of the
/// uniform draws below `p/size²`; each image is then rescaled by 1/(1 − its dropped share).
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

    /// Training: the factor (0, or the keep scale) applied to each element, reused by backward.
    private var mask = Buffer(count: 0)
    private var rng = SeededRandom(seed: 0xD50)

    public override var trainingFloatsPerImage: Int { outputShape.count }

    public override func allocateTraining() {
        if mask.count != batch * outputShape.count { mask = Buffer(count: batch * outputShape.count) }
        rng = SeededRandom(seed: 0xD50 &+ UInt64(index))
    }

    /// DropBlock's probability and block side at `progress` (darknet: linear ramp over 85 % of the run).
    public func dropBlockSchedule(_ progress: TrainingProgress) -> (probability: Float, size: Int) {
        let ramp = 0.85 * Float(max(1, progress.maxBatches))
        let multiplier = Float(progress.iteration) < ramp ? Float(progress.iteration) / ramp : 1
        let w = inputShape.w, h = inputShape.h
        // A block larger than the map is the map (darknet clamps dropblock_size_abs at parse time).
        let abs = min(config.dropblockSizeAbs, min(w, h))
        var bw = Int(Float(abs) * multiplier), bh = bw
        if config.dropblockSizeRel > 0 {
            bw = Int(config.dropblockSizeRel * Float(w) * multiplier)
            bh = Int(config.dropblockSizeRel * Float(h) * multiplier)
        }
        bw = min(w, max(1, bw))
        bh = min(h, max(1, bh))
        return (config.probability * multiplier, min(bw, bh))
    }

    public override func forward(_ ctx: ForwardContext) {
        let n = ctx.batch * outputShape.count
        guard ctx.training, config.probability > 0 else {
            output.pointer.update(from: ctx.input, count: n)
            return
        }
        if config.dropblock {
            dropBlockMask(batch: ctx.batch, progress: ctx.progress)
        } else {
            let keep = 1 / (1 - config.probability)
            for i in 0..<n { mask[i] = rng.nextFloat() < config.probability ? 0 : keep }
        }
        for i in 0..<n { output[i] = ctx.input[i] * mask[i] }
    }

    /// Fills `mask` with DropBlock's blocks and per-image scale.
    func dropBlockMask(batch: Int, progress: TrainingProgress) {
        let (probability, size) = dropBlockSchedule(progress)
        let w = inputShape.w, h = inputShape.h, c = inputShape.c, spatial = w * h
        let gamma = probability / Float(size * size)
        let m = mask.pointer
        for b in 0..<batch {
            let image = m + b * c * spatial
            image.update(repeating: 1, count: c * spatial)
            var dropped = 0
            for channel in 0..<c {
                // The seed: the smallest draw below gamma over the channel (at most one block per channel).
                var best = Float.infinity, seed = -1
                for i in 0..<spatial {
                    let r = rng.nextFloat()
                    if r < gamma && r < best { best = r; seed = i }
                }
                guard seed >= 0 else { continue }
                var bx = seed % w, by = seed / w
                if bx > w - size { bx -= w - size }
                if by > h - size { by -= h - size }
                bx = min(max(bx, 0), w - size)
                by = min(max(by, 0), h - size)
                let plane = image + channel * spatial
                for y in by..<(by + size) { (plane + y * w + bx).update(repeating: 0, count: size) }
                dropped += size * size
            }
            let scale = 1 / (1 - Float(dropped) / Float(c * spatial))
            for i in 0..<(c * spatial) where image[i] != 0 { image[i] = scale }
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
        if config.dropblock {
            let size = config.dropblockSizeRel > 0 ? String(format: "%.2f w", config.dropblockSizeRel) : "\(config.dropblockSizeAbs)"
            return String(format: "dropblock     p = %.2f  size ", config.probability) + size
                + String(format: "   %4d  ->   %4d", inputShape.count, outputShape.count)
        }
        return String(format: "dropout       p = %.2f                  %4d  ->   %4d", config.probability, inputShape.count, outputShape.count)
    }
}
