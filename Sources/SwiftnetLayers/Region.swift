import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[region]` (YOLOv2): darknet's CPU forward flattens the output to `[cell][anchor][entry]`, applies the logistic
/// to objectness and (with `softmax=1`) a softmax over the classes; x and y go through the logistic at decode time.
public final class RegionLayer: Layer, DetectionLayer {
    public let config: RegionConfig

    init(spec: LayerSpec, config: RegionConfig) {
        self.config = config
        super.init(spec: spec)
    }

    public override var typeName: String { "detection" }
    public var classes: Int { config.classes }
    var entries: Int { config.coords + config.classes + 1 }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        let expected = config.total * entries
        guard input.c == expected else {
            throw ShapeError("the previous layer has filters=\(input.c), but [region] with num=\(config.total) and classes=\(config.classes) needs filters=\(expected)")
        }
        inputShape = input
        return input
    }

    public override func forward(_ ctx: ForwardContext) {
        let spatial = outputShape.spatial
        let layersPerCell = config.total * entries
        for b in 0..<ctx.batch {
            let src = ctx.input + b * outputShape.count
            let dst = output.pointer + b * outputShape.count
            for c in 0..<layersPerCell {
                for i in 0..<spatial { dst[i * layersPerCell + c] = src[c * spatial + i] }
            }
            for i in 0..<(spatial * config.total) {
                let base = dst + i * entries
                base[4] = Activation.logistic.apply(base[4])
                if config.softmax {
                    Kernels.softmax(base + 5, count: config.classes, temperature: 1, output: base + 5)
                }
            }
        }
    }

    public func detections(netWidth: Int, netHeight: Int, threshold: Float, image b: Int) -> [Detection] {
        let o = output.pointer + b * outputShape.count
        let w = outputShape.w, h = outputShape.h
        var result: [Detection] = []
        for cell in 0..<(w * h) {
            let row = cell / w, col = cell % w
            for n in 0..<config.total {
                let base = o + (cell * config.total + n) * entries
                let scale = base[4]
                let box = Box(x: (Float(col) + Activation.logistic.apply(base[0])) / Float(w),
                              y: (Float(row) + Activation.logistic.apply(base[1])) / Float(h),
                              w: Float(exp(Double(base[2])) * Double(config.anchors[2 * n]) / Double(w)),
                              h: Float(exp(Double(base[3])) * Double(config.anchors[2 * n + 1]) / Double(h)))
                var probabilities = [Float](repeating: 0, count: config.classes)
                for k in 0..<config.classes {
                    let p = scale * base[5 + k]
                    probabilities[k] = p > threshold ? p : 0
                }
                result.append(Detection(box: box, objectness: 1, probabilities: probabilities))
            }
        }
        return result
    }

    public override var supportsTraining: Bool { false }

    public override var tableText: String { "detection" }
}
