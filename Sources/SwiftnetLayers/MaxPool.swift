import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[maxpool]`: max over `size×size` windows whose out-of-image taps are ignored; darknet's padding split
/// (`padding/2` before, the rest after). `maxpool_depth=1` pools across channel groups instead (spec §1.8.2).
public final class MaxPoolLayer: Layer {
    public let config: PoolConfig
    public private(set) var geometry = PoolGeometry(channels: 0, height: 0, width: 0, size: 1, strideX: 1, strideY: 1, padding: 0, outHeight: 0, outWidth: 0)

    init(spec: LayerSpec, config: PoolConfig) {
        self.config = config
        super.init(spec: spec)
    }

    public override var typeName: String { "max" }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        inputShape = input
        let c = config
        if c.maxpoolDepth {
            geometry = PoolGeometry(channels: input.c, height: input.h, width: input.w, size: 1, strideX: 1, strideY: 1, padding: 0, outHeight: input.h, outWidth: input.w)
            return Shape(w: input.w, h: input.h, c: c.outChannels)
        }
        let outW = (input.w + c.padding - c.size) / c.strideX + 1
        let outH = (input.h + c.padding - c.size) / c.strideY + 1
        guard outW >= 1, outH >= 1 else { throw ShapeError("a \(c.size)×\(c.size) window does not fit the \(input.w)×\(input.h) input") }
        geometry = PoolGeometry(channels: input.c, height: input.h, width: input.w, size: c.size, strideX: c.strideX,
                                strideY: c.strideY, padding: c.padding, outHeight: outH, outWidth: outW)
        return Shape(w: outW, h: outH, c: input.c)
    }

    public override func workspaceCount(threads: Int) -> Int { config.maxpoolDepth ? 0 : Kernels.maxpoolScratchCount(geometry) }

    /// Training: flat input index of each output's maximum.
    private var argmax = UnsafeMutableBufferPointer<Int32>(start: nil, count: 0)

    deinit { argmax.deallocate() }

    public override var trainingFloatsPerImage: Int { outputShape.count }

    public override func allocateTraining() {
        let n = batch * outputShape.count
        if argmax.count != n {
            argmax.deallocate()
            argmax = UnsafeMutableBufferPointer<Int32>.allocate(capacity: n)
        }
    }

    public override func forward(_ ctx: ForwardContext) {
        if ctx.training {
            for b in 0..<ctx.batch {
                let src = ctx.input + b * inputShape.count
                let dst = output.pointer + b * outputShape.count
                let idx = argmax.baseAddress! + b * outputShape.count
                if config.maxpoolDepth {
                    let spatial = inputShape.spatial
                    for g in 0..<outputShape.c {
                        for i in 0..<spatial {
                            var best = g * spatial + i
                            var c = g + outputShape.c
                            while c < inputShape.c {
                                if src[c * spatial + i] > src[best] { best = c * spatial + i }
                                c += outputShape.c
                            }
                            dst[g * spatial + i] = src[best]
                            idx[g * spatial + i] = Int32(best)
                        }
                    }
                } else {
                    Kernels.maxpool(geometry, input: src, output: dst, scratch: ctx.workspace, indices: idx)
                }
            }
            return
        }
        for b in 0..<ctx.batch {
            let src = ctx.input + b * inputShape.count
            let dst = output.pointer + b * outputShape.count
            if config.maxpoolDepth {
                Kernels.maxpoolDepth(channels: inputShape.c, outChannels: outputShape.c, spatial: inputShape.spatial, input: src, output: dst)
            } else {
                Kernels.maxpool(geometry, input: src, output: dst, scratch: ctx.workspace)
            }
        }
    }

    public override func backward(_ ctx: BackwardContext) {
        guard let inputDelta = ctx.inputDelta else { return }
        for b in 0..<ctx.batch {
            let d = delta.pointer + b * outputShape.count
            let target = inputDelta + b * inputShape.count
            let idx = argmax.baseAddress! + b * outputShape.count
            for i in 0..<outputShape.count where idx[i] >= 0 { target[Int(idx[i])] += d[i] }
        }
    }

    public override var bflops: Double {
        Double(config.size * config.size * inputShape.c * outputShape.spatial) / 1e9
    }

    public override var tableText: String {
        let c = config
        let shapes = String(format: "%4d x%4d x%4d -> %4d x%4d x%4d %5.3f BF", inputShape.w, inputShape.h, inputShape.c,
                            outputShape.w, outputShape.h, outputShape.c, bflops)
        if c.maxpoolDepth {
            return String(format: "max-depth         %2dx%2d/%2d   ", c.size, c.size, c.strideX) + shapes
        }
        if c.strideX == c.strideY {
            return String(format: "max               %2dx%2d/%2d   ", c.size, c.size, c.strideX) + shapes
        }
        return String(format: "max              %2dx%2d/%2dx%2d ", c.size, c.size, c.strideX, c.strideY) + shapes
    }
}
