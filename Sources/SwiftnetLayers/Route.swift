import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[route]`: concatenates the listed layers' outputs along channels, in listed order; with `groups` each input
/// contributes only chunk `group_id` of its flat CHW buffer (spec §1.8.5).
public final class RouteLayer: Layer {
    public let config: RouteConfig
    private var sources: [Layer] = []

    init(spec: LayerSpec, config: RouteConfig) {
        self.config = config
        super.init(spec: spec)
    }

    public override var typeName: String { "route" }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        sources = config.layers.map { layers[$0] }
        let first = sources[0].outputShape
        var channels = 0
        for source in sources {
            let s = source.outputShape
            guard s.w == first.w, s.h == first.h else {
                throw ShapeError("route input layer \(source.index) is \(s.w)×\(s.h) but layer \(sources[0].index) is \(first.w)×\(first.h); routed layers must have the same width and height", sizeMismatch: true)
            }
            guard s.c % config.groups == 0 else {
                throw ShapeError("layer \(source.index) has \(s.c) channels, not divisible by groups=\(config.groups)")
            }
            channels += s.c
        }
        inputShape = input
        return Shape(w: first.w, h: first.h, c: channels / config.groups)
    }

    public override func forward(_ ctx: ForwardContext) {
        for b in 0..<ctx.batch {
            var offset = 0
            let dst = output.pointer + b * outputShape.count
            for source in sources {
                let size = source.outputShape.count
                let part = size / config.groups
                (dst + offset).update(from: source.output.pointer + b * size + config.groupID * part, count: part)
                offset += part
            }
        }
    }

    public override func backward(_ ctx: BackwardContext) {
        for b in 0..<ctx.batch {
            var offset = 0
            let d = delta.pointer + b * outputShape.count
            for source in sources {
                let size = source.outputShape.count
                let part = size / config.groups
                if source.training {
                    Kernels.add(d + offset, into: source.delta.pointer + b * size + config.groupID * part, count: part)
                }
                offset += part
            }
        }
    }

    public override var tableText: String {
        var s = "route "
        for i in config.layers { s += " \(i)" }
        let n = config.layers.count
        s += n == 1 ? " \t\t" : " \t"
        s += String(repeating: " ", count: n > 3 ? 15 : 23)
        s += config.groups > 1 ? "\(config.groupID)/\(config.groups)" : "   "
        s += String(format: " -> %4d x%4d x%4d ", outputShape.w, outputShape.h, outputShape.c)
        return s
    }
}
