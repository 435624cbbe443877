import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[yolo]`: activates x, y, objectness and classes (unless `new_coords`), applies `scale_x_y`, and decodes boxes
/// against its anchors (spec §1.8.8, §4.3). Channel `a·(K+5) + e`: e = x, y, w, h, objectness, class 0…K−1.
public final class YoloLayer: Layer, DetectionLayer {
    public let config: YoloConfig

    init(spec: LayerSpec, config: YoloConfig) {
        self.config = config
        super.init(spec: spec)
    }

    public override var typeName: String { "yolo" }
    public var classes: Int { config.classes }
    public var anchorsPerCell: Int { config.mask.count }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        let expected = config.mask.count * (config.classes + 5)
        guard input.c == expected else {
            throw ShapeError("the previous layer has filters=\(input.c), but [yolo] with \(config.mask.count) anchors in mask and classes=\(config.classes) needs filters=\(expected) (= \(config.mask.count)·(classes+5))")
        }
        inputShape = input
        return input
    }

    @inline(__always) func entryIndex(batch b: Int, anchor a: Int, entry e: Int, cell: Int) -> Int {
        b * outputShape.count + (a * (config.classes + 5) + e) * outputShape.spatial + cell
    }

    public override func forward(_ ctx: ForwardContext) {
        let spatial = outputShape.spatial
        output.pointer.update(from: ctx.input, count: ctx.batch * outputShape.count)
        let s = config.scaleXY
        let beta = Float(-0.5 * (Double(s) - 1))
        for b in 0..<ctx.batch {
            for a in 0..<anchorsPerCell {
                let xy = output.pointer + entryIndex(batch: b, anchor: a, entry: 0, cell: 0)
                if !config.newCoords {
                    Kernels.activate(xy, count: 2 * spatial, .logistic)
                    Kernels.activate(output.pointer + entryIndex(batch: b, anchor: a, entry: 4, cell: 0), count: (1 + config.classes) * spatial, .logistic)
                }
                if s != 1 {
                    for i in 0..<(2 * spatial) { xy[i] = xy[i] * s + beta }
                }
            }
        }
        if ctx.training, let truth = ctx.truth {
            let boxes = truth.boxes.count == ctx.batch ? truth.boxes : [[LabelBox]](repeating: [], count: ctx.batch)
            let stats = YoloLoss.compute(config: config, batch: ctx.batch, width: outputShape.w, height: outputShape.h,
                                         netWidth: ctx.netWidth, netHeight: ctx.netHeight, output: output.pointer,
                                         truths: boxes, delta: delta.pointer)
            lastStats = stats
            cost = stats.cost
        }
    }

    /// Loss statistics of the last training forward.
    public private(set) var lastStats: YoloLossStats?

    /// Box of anchor-cell `(a, cell)` of image 0, relative to the network input (`get_yolo_box`).
    public func box(anchor a: Int, cell: Int, netWidth: Int, netHeight: Int, image b: Int = 0) -> Box {
        let o = output.pointer
        let w = outputShape.w, h = outputShape.h
        let col = cell % w, row = cell / w
        let n = config.mask[a]
        return Self.decodeBox(tx: o[entryIndex(batch: b, anchor: a, entry: 0, cell: cell)], ty: o[entryIndex(batch: b, anchor: a, entry: 1, cell: cell)],
                              tw: o[entryIndex(batch: b, anchor: a, entry: 2, cell: cell)], th: o[entryIndex(batch: b, anchor: a, entry: 3, cell: cell)],
                              column: col, row: row, gridWidth: w, gridHeight: h,
                              anchorWidth: config.anchors[2 * n], anchorHeight: config.anchors[2 * n + 1],
                              netWidth: netWidth, netHeight: netHeight, newCoords: config.newCoords)
    }

    /// `get_yolo_box` in darknet's arithmetic, for inference and the loss alike: `exp` in double for the classic
    /// coordinates, all float for `new_coords` (w = tw²·4·anchor / net width).
    @inline(__always)
    static func decodeBox(tx: Float, ty: Float, tw: Float, th: Float, column: Int, row: Int, gridWidth: Int, gridHeight: Int,
                          anchorWidth aw: Float, anchorHeight ah: Float, netWidth: Int, netHeight: Int, newCoords: Bool) -> Box {
        let x = (Float(column) + tx) / Float(gridWidth)
        let y = (Float(row) + ty) / Float(gridHeight)
        if newCoords {
            return Box(x: x, y: y, w: tw * tw * 4 * aw / Float(netWidth), h: th * th * 4 * ah / Float(netHeight))
        }
        return Box(x: x, y: y, w: Float(exp(Double(tw)) * Double(aw) / Double(netWidth)),
                   h: Float(exp(Double(th)) * Double(ah) / Double(netHeight)))
    }

    public func detections(netWidth: Int, netHeight: Int, threshold: Float, image b: Int) -> [Detection] {
        let o = output.pointer
        var result: [Detection] = []
        for cell in 0..<outputShape.spatial {
            for a in 0..<anchorsPerCell {
                let objectness = o[entryIndex(batch: b, anchor: a, entry: 4, cell: cell)]
                guard objectness > threshold else { continue }
                var probabilities = [Float](repeating: 0, count: config.classes)
                for k in 0..<config.classes {
                    let p = objectness * o[entryIndex(batch: b, anchor: a, entry: 5 + k, cell: cell)]
                    probabilities[k] = p > threshold ? p : 0
                }
                result.append(Detection(box: box(anchor: a, cell: cell, netWidth: netWidth, netHeight: netHeight, image: b),
                                        objectness: objectness, probabilities: probabilities))
            }
        }
        return result
    }

    /// The deltas go back scaled by `delta_normalizer` (darknet's GPU build; its CPU build ignores the key).
    public override func backward(_ ctx: BackwardContext) {
        guard let inputDelta = ctx.inputDelta else { return }
        let n = ctx.batch * outputShape.count, scale = config.deltaNormalizer
        if scale == 1 { return passDelta(ctx) }
        for i in 0..<n { inputDelta[i] += scale * delta[i] }
    }

    public override var tableText: String { "yolo" }
}
