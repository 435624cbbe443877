import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[local_avgpool]`: mean over the in-image taps of each window; geometry as `[maxpool]` (spec §1.8.3).
public final class LocalAvgPoolLayer: Layer {
    public let config: PoolConfig
    public private(set) var geometry = PoolGeometry(channels: 0, height: 0, width: 0, size: 1, strideX: 1, strideY: 1, padding: 0, outHeight: 0, outWidth: 0)

    init(spec: LayerSpec, config: PoolConfig) {
        self.config = config
        super.init(spec: spec)
    }

    public override var typeName: String { "avg" }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        inputShape = input
        let c = config
        let outW = (input.w + c.padding - c.size) / c.strideX + 1
        let outH = (input.h + c.padding - c.size) / c.strideY + 1
        guard outW >= 1, outH >= 1 else { throw ShapeError("a \(c.size)×\(c.size) window does not fit the \(input.w)×\(input.h) input") }
        geometry = PoolGeometry(channels: input.c, height: input.h, width: input.w, size: c.size, strideX: c.strideX,
                                strideY: c.strideY, padding: c.padding, outHeight: outH, outWidth: outW)
        return Shape(w: outW, h: outH, c: input.c)
    }

    public override func forward(_ ctx: ForwardContext) {
        for b in 0..<ctx.batch {
            Kernels.localAvgpool(geometry, input: ctx.input + b * inputShape.count, output: output.pointer + b * outputShape.count)
        }
    }

    /// Spreads each output's delta evenly over the window's in-image taps (the exact gradient of the forward).
    public override func backward(_ ctx: BackwardContext) {
        guard let inputDelta = ctx.inputDelta else { return }
        let g = geometry
        let before = g.padding / 2
        for b in 0..<ctx.batch {
            let d = delta.pointer + b * outputShape.count
            let target = inputDelta + b * inputShape.count
            for c in 0..<g.channels {
                for oy in 0..<g.outHeight {
                    for ox in 0..<g.outWidth {
                        let y0 = max(0, oy * g.strideY - before), y1 = min(g.height, oy * g.strideY - before + g.size)
                        let x0 = max(0, ox * g.strideX - before), x1 = min(g.width, ox * g.strideX - before + g.size)
                        let n = (y1 - y0) * (x1 - x0)
                        guard n > 0 else { continue }
                        let share = d[(c * g.outHeight + oy) * g.outWidth + ox] / Float(n)
                        for y in y0..<y1 { for x in x0..<x1 { target[(c * g.height + y) * g.width + x] += share } }
                    }
                }
            }
        }
    }

    public override var bflops: Double {
        Double(config.size * config.size * inputShape.c * outputShape.spatial) / 1e9
    }

    public override var tableText: String {
        String(format: "avg               %2dx%2d/%2d   %4d x%4d x%4d -> %4d x%4d x%4d %5.3f BF", config.size, config.size,
               config.strideX, inputShape.w, inputShape.h, inputShape.c, outputShape.w, outputShape.h, outputShape.c, bflops)
    }
}
