import Foundation
import SwiftnetCore
import SwiftnetFormat

extension LabelBox {
    public var box: Box { Box(x: x, y: y, w: w, h: h) }

    /// Splits darknet's truth buffer (`net.truth`: per image `maxBoxes` slots of `truthSize` floats
    /// `x, y, w, h, class, track…`) into one box list per image. Each list ends at the first slot whose x is 0,
    /// as in darknet; class ids are truncated toward zero like C's float→int conversion (non-finite ones become −1,
    /// which the loss skips as out of range).
    public static func images(fromDarknet values: [Float], batch: Int, maxBoxes: Int = 200, truthSize: Int = 6) -> [[LabelBox]] {
        precondition(truthSize >= 5 && values.count >= batch * maxBoxes * truthSize, "truth buffer too small")
        return (0..<batch).map { b in
            var boxes: [LabelBox] = []
            for t in 0..<maxBoxes {
                let s = (b * maxBoxes + t) * truthSize
                if values[s] == 0 { break }
                let c = values[s + 4]
                let classID = c.isFinite && abs(c) < 2e9 ? Int(c) : -1
                boxes.append(LabelBox(classID: classID, x: values[s], y: values[s + 1], w: values[s + 2], h: values[s + 3]))
            }
            return boxes
        }
    }
}

/// Statistics and loss numbers of one `[yolo]` training forward over a batch (darknet's `forward_yolo_layer`).
public struct YoloLossStats: Equatable, Sendable {
    /// Images in the batch (the divisor of the printed losses).
    public var batch: Int
    /// Number of positive assignments (best anchor plus `iou_thresh` extras). darknet prints `max(count, 1)`.
    public var count: Int
    /// Σ IoU(prediction, truth) over the assignments, summed in float32 per image, then over images in order.
    public var iouSum: Float
    /// `iouSum / max(count, 1)`: the printed `Avg (IOU: …)`.
    public var avgIoU: Float
    /// Assignments whose IoU exceeds 0.5 / 0.75.
    public var recall50: Int
    public var recall75: Int
    /// Σ (1 − IoU) and Σ (1 − GIoU) over the assignments (what `cost` uses for the IoU-family losses).
    public var boxIoULossSum: Float
    public var boxGIoULossSum: Float
    /// Σ δ² over the whole batch tensor (`pow(mag_array(delta), 2)`); accumulated in double.
    public var sumSquaredDelta: Float
    /// `obj_normalizer · Σ δ²` over the objectness and class entries (darknet applies obj_normalizer twice).
    public var classLossSum: Float
    /// `sumSquaredDelta − classLossSum` (negative when obj_normalizer > 1).
    public var iouLossSum: Float
    /// darknet's `l.cost` (with `show_details=1`, the default): `sumSquaredDelta` for mse, otherwise
    /// `iou_normalizer · Σ(1 − IoU)/count + classLossSum` (GIoU: Σ(1 − GIoU)).
    public var cost: Float

    public var totalLoss: Float { sumSquaredDelta / Float(batch) }
    public var classLoss: Float { classLossSum / Float(batch) }
    public var iouLoss: Float { iouLossSum / Float(batch) }

    /// The line darknet prints to stderr for this layer (`show_details=1`), without the trailing space and newline.
    public func darknetLine(config: YoloConfig, layerIndex: Int) -> String {
        let kind = config.iouLoss == .mse ? "mse" : (config.iouLoss == .giou ? "giou" : "iou")
        return String(format: "v3 (%@ loss, Normalizer: (iou: %.2f, obj: %.2f, cls: %.2f) Region %d Avg (IOU: %f), count: %d, class_loss = %f, iou_loss = %f, total_loss = %f",
                      kind, Double(config.iouNormalizer), Double(config.objNormalizer), Double(config.clsNormalizer), layerIndex,
                      Double(avgIoU), max(count, 1), Double(classLoss), Double(iouLoss), Double(totalLoss))
    }
}

/// darknet's `[yolo]` training loss: the deltas the layer back-propagates and the numbers it prints
/// (`yolo_layer.c: forward_yolo_layer`, `process_batch`, `delta_yolo_box`, `delta_yolo_class`; `box.c: dx_box_iou`).
/// See `shared/oracle/train/README.md` §4–§5 and spec §5.6. Float32 arithmetic follows the operation order of
/// darknet's `-Ofast` build, which reproduces its deltas bit for bit from the same output (except a few last-bit
/// differences with DIoU, whose divisions darknet vectorises with approximate reciprocals).
///
/// Differences from darknet: the loss sums are accumulated in double (darknet: vectorised float); a truth whose
/// anchor-cell index falls outside its own image (x or y outside [0, 1) on the last row or anchor) is skipped
/// rather than written into another image's deltas; non-finite box deltas become 0, as darknet's source says (its
/// `-Ofast` build drops that check). Not implemented (off by default): the adversarial branch, `map=` class
/// remapping, bad-label rejection / `equidistant_point`, embedding tracking, and `show_details=0` (cost = Σδ²).
public enum YoloLoss {
    /// Computes the deltas of one `[yolo]` layer for `batch` images.
    ///
    /// - Parameters:
    ///   - output: the layer's activated output, layout `(batch, A·(5+K), height, width)` exactly as
    ///     `YoloLayer.forward` leaves it (x, y scaled by `scale_x_y`; w, h raw unless `new_coords`).
    ///   - truths: image b's boxes (a list also ends at its first box with x == 0; out-of-range classes are skipped).
    ///   - delta: same size as `output`; overwritten with darknet's deltas, `target − prediction` (i.e. the negative
    ///     gradient direction, not divided by batch or box count).
    /// - Returns: the statistics and loss numbers darknet prints and uses as the layer cost.
    ///
    /// Images are processed in parallel; the result is deterministic.
    public static func compute(config: YoloConfig, batch: Int, width: Int, height: Int, netWidth: Int, netHeight: Int,
                               output: UnsafePointer<Float>, truths: [[LabelBox]], delta: UnsafeMutablePointer<Float>) -> YoloLossStats {
        let plan = Plan(config: config, width: width, height: height, netWidth: netWidth, netHeight: netHeight)
        let stride = plan.imageCount
        delta.update(repeating: 0, count: batch * stride)
        var perImage = [ImageStats](repeating: ImageStats(), count: batch)
        perImage.withUnsafeMutableBufferPointer { stats in
            let statsBase = stats.baseAddress!
            Parallel.tasks(batch) { b, _ in
                statsBase[b] = plan.process(output: output + b * stride, delta: delta + b * stride,
                                            truths: b < truths.count ? truths[b] : [])
            }
        }

        var iouSum: Float = 0, iouLossSum: Float = 0, giouLossSum: Float = 0
        var count = 0, recall50 = 0, recall75 = 0
        for s in perImage {
            iouSum += s.iouSum
            iouLossSum += s.iouLossSum
            giouLossSum += s.giouLossSum
            count += s.count
            recall50 += s.recall50
            recall75 += s.recall75
        }

        var sumSquares = 0.0, classSquares = 0.0
        let boxCount = 4 * plan.spatial
        for b in 0..<batch {
            for a in 0..<plan.slots {
                let base = delta + b * stride + a * plan.entries * plan.spatial
                for k in 0..<(plan.entries * plan.spatial) {
                    let v = Double(base[k])
                    sumSquares += v * v
                    if k >= boxCount { classSquares += v * v }
                }
            }
        }
        let classLossSum = Double(config.objNormalizer) * classSquares
        let divisor = max(count, 1)
        let cost: Double
        switch config.iouLoss {
        case .mse: cost = sumSquares
        case .giou: cost = Double(config.iouNormalizer) * Double(giouLossSum) / Double(divisor) + classLossSum
        default: cost = Double(config.iouNormalizer) * Double(iouLossSum) / Double(divisor) + classLossSum
        }
        return YoloLossStats(batch: batch, count: count, iouSum: iouSum, avgIoU: iouSum / Float(divisor),
                             recall50: recall50, recall75: recall75, boxIoULossSum: iouLossSum, boxGIoULossSum: giouLossSum,
                             sumSquaredDelta: Float(sumSquares), classLossSum: Float(classLossSum),
                             iouLossSum: Float(sumSquares - classLossSum), cost: Float(cost))
    }

    /// darknet's `dx_box_iou`: the IoU-family box gradient `(gx, gy, gw, gh)` of `pred` against `truth`, with respect
    /// to the normalized centre and size, in darknet's float32 evaluation order. Not an exact gradient everywhere:
    /// `gw`, `gh` lack a ½, the intersection is not clamped for disjoint boxes, the DIoU/CIoU centre terms carry the
    /// enclosing-box derivative with the wrong sign, and CIoU drops the `1/(w² + h²)` of `∂atan(w/h)` (see the tests).
    /// `.mse` gives the plain-IoU gradient, as does `.iou`.
    public static func iouGradient(pred: Box, truth: Box, loss: IoULoss) -> SIMD4<Float> {
        // Prediction edges, ordered (they only swap for degenerate sizes).
        let top = pred.y - pred.h / 2, bottom = pred.y + pred.h / 2
        let left = pred.x - pred.w / 2, right = pred.x + pred.w / 2
        let pt = min(top, bottom), pb = max(top, bottom), pl = min(left, right), pr = max(left, right)
        let tt = truth.y - truth.h / 2, tb = truth.y + truth.h / 2
        let tl = truth.x - truth.w / 2, tr = truth.x + truth.w / 2

        let X = (pb - pt) * (pr - pl)
        let Xhat = truth.w * truth.h  // -Ofast folds (tb − tt)·(tr − tl) to this
        let Ih = min(pb, tb) - max(pt, tt)
        let Iw = min(pr, tr) - max(pl, tl)  // not clamped: negative for disjoint boxes
        let I = Iw * Ih
        let U = X + Xhat - I
        let S = (pred.x - truth.x) * (pred.x - truth.x) + (pred.y - truth.y) * (pred.y - truth.y)
        let gCw = max(pr, tr) - min(pl, tl)
        let gCh = max(pb, tb) - min(pt, tt)
        let gC = gCw * gCh

        let dXt = -(pr - pl), dXb = pr - pl, dXl = -(pb - pt), dXr = pb - pt
        let dIt: Float = pt > tt ? -Iw : 0
        let dIb: Float = pb < tb ? Iw : 0
        let dIl: Float = pl > tl ? -Ih : 0
        let dIr: Float = pr < tr ? Ih : 0
        let dUt = dXt - dIt, dUb = dXb - dIb, dUl = dXl - dIl, dUr = dXr - dIr
        let dCt: Float = pt < tt ? -gCw : 0
        let dCb: Float = pb > tb ? gCw : 0
        let dCl: Float = pl < tl ? -gCh : 0
        let dCr: Float = pr > tr ? gCh : 0

        // -Ofast evaluates x/U² as x·(1/U)² and x/C² as x·(1/C²).
        var p = SIMD4<Float>(0, 0, 0, 0)  // t, b, l, r
        if U > 0 {
            let r = 1 / U, r2 = r * r
            p = SIMD4((U * dIt - I * dUt) * r2, (U * dIb - I * dUb) * r2, (U * dIl - I * dUl) * r2, (U * dIr - I * dUr) * r2)
        }
        if !(top < bottom) { p[0] = p[1] }
        if !(left < right) { p[2] = p[3] }
        if loss == .giou {
            let r = 1 / (gC * gC)
            let c = SIMD4((gC * dUt - U * dCt) * r, (gC * dUb - U * dCb) * r, (gC * dUl - U * dCl) * r, (gC * dUr - U * dCr) * r)
            if Iw <= 0 || Ih <= 0 { p = c } else if gC > 0 { p += c }
        }
        var g = SIMD4<Float>(p[2] + p[3], p[0] + p[1], p[3] - p[2], p[1] - p[0])
        guard loss == .diou || loss == .ciou else { return g }

        let Cw = max(right, tr) - min(left, tl)
        let Ch = max(bottom, tb) - min(top, tt)
        let C = Cw * Cw + Ch * Ch
        let dCwdx: Float = (pr > tr ? 1 : 0) - (pl < tl ? 1 : 0)
        let dCwdw: Float = (pr > tr ? 0.5 : 0) - (pl < tl ? -0.5 : 0)
        let dChdy: Float = (pb > tb ? 1 : 0) - (pt < tt ? 1 : 0)
        let dChdh: Float = (pb > tb ? 0.5 : 0) - (pt < tt ? -0.5 : 0)
        let rC = 1 / (C * C)
        let d = SIMD4<Float>((2 * (truth.x - pred.x) * C - (2 * Cw * dCwdx) * S) * rC,
                             (2 * (truth.y - pred.y) * C - (2 * Ch * dChdy) * S) * rC,
                             (2 * Cw * dCwdw) * S * rC,
                             (2 * Ch * dChdh) * S * rC)
        if Iw <= 0 || Ih <= 0 { g = d } else if C > 0 { g += d }
        if loss == .ciou {
            // Aspect-ratio term with α held constant. darknet adds it together with the distance term
            // (`g += D + α·a`); adding it last is how its -Ofast build rounds (fewer 1-ulp differences).
            let delta = atan(Double(truth.w / truth.h)) - atan(Double(pred.w / pred.h))
            let v = Float(4 / (Double.pi * Double.pi) * delta * delta)
            let alpha = Float(Double(v) / (Double(1 - I / U + v) + 0.000001))
            let aw = Float(8 / (Double.pi * Double.pi) * delta * Double(pred.h))
            let ah = Float(-8 / (Double.pi * Double.pi) * delta * Double(pred.w))
            if Iw <= 0 || Ih <= 0 || C > 0 {
                g[2] = g[2] + alpha * aw
                g[3] = g[3] + alpha * ah
            }
        }
        return g
    }

    /// darknet's `box_giou`: IoU − (C − U)/C with C the enclosing box's area (IoU when C is 0).
    public static func giou(_ a: Box, _ b: Box) -> Float {
        let (cw, ch) = enclosing(a, b)
        let c = cw * ch
        let iou = a.iou(b)
        if c == 0 { return iou }
        let u = a.w * a.h + b.w * b.h - a.intersection(b)
        return iou - (c - u) / c
    }

    /// The IoU variants of `iou_thresh_kind` (`box_iou_kind`); DIoU uses darknet's training exponent 0.6.
    static func iou(_ a: Box, _ b: Box, kind: IoUKind) -> Float {
        switch kind {
        case .iou: return a.iou(b)
        case .giou: return giou(a, b)
        case .diou: return a.diou(b, beta: 0.6)
        case .ciou:
            let (cw, ch) = enclosing(a, b)
            let c = cw * cw + ch * ch
            let iou = a.iou(b)
            if c == 0 { return iou }
            let u = (a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)
            let delta = atan(Double(b.w / b.h)) - atan(Double(a.w / a.h))
            let v = Float(4 / (Double.pi * Double.pi) * delta * delta)
            let alpha = Float(Double(v) / (Double(1 - iou + v) + 0.000001))
            return iou - (u / c + alpha * v)
        }
    }

    @inline(__always) static func enclosing(_ a: Box, _ b: Box) -> (Float, Float) {
        let top = min(a.y - a.h / 2, b.y - b.h / 2), bottom = max(a.y + a.h / 2, b.y + b.h / 2)
        let left = min(a.x - a.w / 2, b.x - b.w / 2), right = max(a.x + a.w / 2, b.x + b.w / 2)
        return (right - left, bottom - top)
    }
}

/// Per-image accumulators, summed in float32 like darknet's per-thread `train_yolo_args`.
private struct ImageStats {
    var iouSum: Float = 0
    var iouLossSum: Float = 0
    var giouLossSum: Float = 0
    var count = 0
    var recall50 = 0
    var recall75 = 0
}

/// The layer geometry and the constants derived from the config, shared by all images.
private struct Plan {
    let config: YoloConfig
    let width: Int, height: Int, netWidth: Int, netHeight: Int
    let classes: Int, slots: Int, entries: Int, spatial: Int, imageCount: Int
    /// `counters_per_class` multipliers `max/count_c`, clipped to max_delta.
    let multipliers: [Float]?
    /// Class targets: `y⁺`, `y⁻` (label smoothing `y·(1 − ε) + ε/2`, the sum in double).
    let positive: Float, negative: Float
    /// Anchor shapes relative to the network input, centred at the origin.
    let anchorBoxes: [Box]

    init(config: YoloConfig, width: Int, height: Int, netWidth: Int, netHeight: Int) {
        self.config = config
        self.width = width
        self.height = height
        self.netWidth = netWidth
        self.netHeight = netHeight
        classes = config.classes
        slots = config.mask.count
        entries = classes + 5
        spatial = width * height
        imageCount = slots * entries * spatial
        if let counters = config.countersPerClass {
            let clamped = counters.map { Float(max($0, 1)) }
            let top = clamped.max() ?? 1
            multipliers = clamped.map { min(top / $0, config.maxDelta) }
        } else {
            multipliers = nil
        }
        let eps = config.labelSmoothEps
        if eps != 0 {
            positive = Float(Double(1 * (1 - eps)) + 0.5 * Double(eps))
            negative = Float(0.5 * Double(eps))
        } else {
            positive = 1
            negative = 0
        }
        anchorBoxes = (0..<config.total).map { n in
            Box(x: 0, y: 0, w: config.anchors[2 * n] / Float(netWidth), h: config.anchors[2 * n + 1] / Float(netHeight))
        }
    }

    /// Offset of entry 0 of anchor slot `a` at cell `loc` within one image.
    @inline(__always) func base(slot a: Int, cell loc: Int) -> Int { a * entries * spatial + loc }

    /// `get_yolo_box`: the box predicted at `base` for column `i`, row `j` with anchor `n`.
    @inline(__always) func decode(_ o: UnsafePointer<Float>, base: Int, i: Int, j: Int, anchor n: Int) -> Box {
        let s = spatial
        return YoloLayer.decodeBox(tx: o[base], ty: o[base + s], tw: o[base + 2 * s], th: o[base + 3 * s], column: i, row: j,
                                   gridWidth: width, gridHeight: height, anchorWidth: config.anchors[2 * n],
                                   anchorHeight: config.anchors[2 * n + 1], netWidth: netWidth, netHeight: netHeight,
                                   newCoords: config.newCoords)
    }

    func process(output o: UnsafePointer<Float>, delta d: UnsafeMutablePointer<Float>, truths: [LabelBox]) -> ImageStats {
        var list: [LabelBox] = []
        for t in truths {
            if t.x == 0 { break }
            if t.classID >= 0 && t.classID < classes { list.append(t) }
        }
        let boxes = list.map(\.box)
        let s = spatial
        let on = config.objNormalizer

        // Phase A: every anchor-cell starts as a negative; good matches are ignored.
        for j in 0..<height {
            for i in 0..<width {
                for a in 0..<slots {
                    let base = base(slot: a, cell: j * width + i)
                    let pred = decode(o, base: base, i: i, j: j, anchor: config.mask[a])
                    let classBase = base + 5 * s
                    // The ignore gate asks for *any* class above 0.25, not the truth's class.
                    var gate = false
                    for k in 0..<classes where o[classBase + k * s] > 0.25 {
                        gate = true
                        break
                    }
                    var bestIoU: Float = 0, bestT = 0, bestMatch: Float = 0
                    for (t, box) in boxes.enumerated() {
                        let iou = pred.iou(box)
                        if gate && iou > bestMatch { bestMatch = iou }
                        if iou > bestIoU {
                            bestIoU = iou
                            bestT = t
                        }
                    }
                    let objIndex = base + 4 * s
                    let p = o[objIndex]
                    d[objIndex] = -(p * on)
                    if bestMatch > config.ignoreThresh {
                        if config.objectnessSmooth {
                            let v = on * (bestMatch - p)
                            if v > d[objIndex] { d[objIndex] = v }
                        } else {
                            d[objIndex] = 0
                        }
                    }
                    if bestIoU > config.truthThresh {
                        let truth = list[bestT]
                        let c = truth.classID
                        let square = bestIoU * bestIoU
                        d[objIndex] = config.objectnessSmooth ? on * (square - p) : on * (1 - p)
                        classRule(o, d, classBase: classBase, classID: c)
                        let cm = multipliers?[c] ?? 1
                        if config.objectnessSmooth { d[classBase + c * s] = cm * (square - o[classBase + c * s]) }
                        // Uses this anchor-cell's own (i, j), and is not counted in the statistics.
                        _ = boxRule(truth.box, o, d, base: base, i: i, j: j, anchor: config.mask[a],
                                    scale: 2 - truth.w * truth.h, normalizer: config.iouNormalizer * cm)
                    }
                }
            }
        }

        // Phase B: every truth is assigned to its cell at the best anchor (if in the mask) and at the
        // iou_thresh extras.
        var stats = ImageStats()
        for truth in list {
            let fi = truth.x * Float(width), fj = truth.y * Float(height)  // float32 product, then truncation
            guard abs(fi) < 1e9, abs(fj) < 1e9 else { continue }
            let i = Int(fi), j = Int(fj)
            let shifted = Box(x: 0, y: 0, w: truth.w, h: truth.h)
            var bestIoU: Float = 0, bestN = 0
            for n in 0..<config.total {
                let iou = anchorBoxes[n].iou(shifted)
                if iou > bestIoU {
                    bestIoU = iou
                    bestN = n
                }
            }
            if let a = config.mask.firstIndex(of: bestN) {
                assign(truth, slot: a, anchor: bestN, i: i, j: j, o, d, &stats)
            }
            if config.iouThresh < 1 {
                for n in 0..<config.total where n != bestN {
                    guard let a = config.mask.firstIndex(of: n) else { continue }
                    if YoloLoss.iou(anchorBoxes[n], shifted, kind: config.iouThreshKind) > config.iouThresh {
                        assign(truth, slot: a, anchor: n, i: i, j: j, o, d, &stats)
                    }
                }
            }
        }

        // Phase C: average the accumulated box deltas by the number of positive class deltas.
        if config.iouThresh < 1 {
            for a in 0..<slots {
                for loc in 0..<spatial {
                    let base = base(slot: a, cell: loc)
                    guard d[base + 4 * s] != 0 else { continue }
                    var positives = 0
                    for k in 0..<classes where d[base + (5 + k) * s] > 0 { positives += 1 }
                    if positives > 0 {
                        let r = 1 / Float(positives)
                        for e in 0..<4 { d[base + e * s] *= r }
                    }
                }
            }
        }
        return stats
    }

    /// darknet's positive sample at column `i`, row `j`, anchor slot `a` (anchor `n`).
    private func assign(_ truth: LabelBox, slot a: Int, anchor n: Int, i: Int, j: Int,
                        _ o: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ stats: inout ImageStats) {
        // darknet indexes `a·HW + j·W + i` without bounds checks: x = 1.0 (i = W) lands on the next row, or on the
        // next anchor slot's first cell from the last row. Beyond this image's slice it would write into another
        // image's deltas (undefined there); such truths are skipped.
        let location = a * spatial + j * width + i
        guard location >= 0 && location < slots * spatial else { return }
        let base = base(slot: location / spatial, cell: location % spatial)
        let s = spatial
        let c = truth.classID
        let cm = multipliers?[c] ?? 1
        let ious = boxRule(truth.box, o, d, base: base, i: i, j: j, anchor: n,
                           scale: 2 - truth.w * truth.h, normalizer: config.iouNormalizer * cm)
        stats.count += 1
        stats.iouSum += ious.iou
        stats.iouLossSum += 1 - ious.iou
        stats.giouLossSum += 1 - ious.giou
        if ious.iou > 0.5 { stats.recall50 += 1 }
        if ious.iou > 0.75 { stats.recall75 += 1 }

        let objIndex = base + 4 * s
        let v = cm * ((1 - o[objIndex]) * config.objNormalizer)
        // objectness_smooth only writes into an exact 0, but phase A has already written there: positives
        // usually keep their negative (or ignore) target.
        if !config.objectnessSmooth || d[objIndex] == 0 { d[objIndex] = v }
        classRule(o, d, classBase: base + 5 * s, classID: c)
    }

    /// `delta_yolo_class`.
    private func classRule(_ o: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, classBase: Int, classID c: Int) {
        let s = spatial
        let index = classBase + c * s
        if d[index] != 0 {
            // A second truth on this anchor-cell: only its own class entry changes (no cls_normalizer).
            d[index] = positive - o[index]
            if let multipliers { d[index] *= multipliers[c] }
            return
        }
        if config.focalLoss {
            let pt = o[index] + 0.000000000000001
            let grad = -(1 - pt) * (2 * pt * logf(pt) + pt - 1)
            let factor: Float = 0.5 * grad
            for k in 0..<classes {
                d[classBase + k * s] = ((k == c ? 1 : 0) - o[classBase + k * s]) * factor
            }
            return
        }
        for k in 0..<classes {
            d[classBase + k * s] = (k == c ? positive : negative) - o[classBase + k * s]
        }
        // cls_normalizer only matters here, and only with counters_per_class.
        if let multipliers { d[index] *= multipliers[c] * config.clsNormalizer }
    }

    /// `delta_yolo_box`: adds the box delta of `truth` at `base` and returns IoU and GIoU of the prediction there.
    private func boxRule(_ truth: Box, _ o: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, base: Int,
                         i: Int, j: Int, anchor n: Int, scale: Float, normalizer: Float) -> (iou: Float, giou: Float) {
        let s = spatial
        var pred = decode(o, base: base, i: i, j: j, anchor: n)
        let iou = pred.iou(truth)
        let giou = YoloLoss.giou(pred, truth)
        if pred.w == 0 { pred.w = 1 }
        if pred.h == 0 { pred.h = 1 }
        if config.iouLoss == .mse {
            let aw = config.anchors[2 * n], ah = config.anchors[2 * n + 1]
            let tx = truth.x * Float(width) - Float(i)
            let ty = truth.y * Float(height) - Float(j)
            let tw, th: Float
            if config.newCoords {
                tw = (truth.w * Float(netWidth) / (4 * aw)).squareRoot()
                th = (truth.h * Float(netHeight) / (4 * ah)).squareRoot()
            } else {
                tw = logf(truth.w * Float(netWidth) / aw)
                th = logf(truth.h * Float(netHeight) / ah)
            }
            // x, y compare with the scale_x_y-scaled outputs, w, h with the raw ones.
            let k = scale * normalizer
            d[base] += (tx - o[base]) * k
            d[base + s] += (ty - o[base + s]) * k
            d[base + 2 * s] += (tw - o[base + 2 * s]) * k
            d[base + 3 * s] += (th - o[base + 3 * s]) * k
        } else {
            var g = YoloLoss.iouGradient(pred: pred, truth: truth, loss: config.iouLoss)
            // Only w, h get a chain factor (exp of the raw output); no σ′, scale_x_y or 1/W for x, y.
            if !config.newCoords {
                g[2] = Float(Double(g[2]) * exp(Double(o[base + 2 * s])))
                g[3] = Float(Double(g[3]) * exp(Double(o[base + 3 * s])))
            }
            for e in 0..<4 {
                var v = g[e] * normalizer
                if !v.isFinite { v = 0 }
                // Clipped per truth, before accumulation.
                v = min(max(v, -config.maxDelta), config.maxDelta)
                d[base + e * s] += v
            }
        }
        return (iou, giou)
    }
}
