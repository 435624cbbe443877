import Foundation
import SwiftnetCore
import SwiftnetFormat
@testable import SwiftnetLayers
import TestSupport
import XCTest

/// `[yolo]` training deltas and loss numbers against darknet's own (shared/oracle/train), plus finite-difference
/// checks of the parts of the deltas that are true gradients.
final class YOLOLossTests: XCTestCase {
    static let yoloCases = [
        "yolov3_tiny_13_mse", "yolov4_tiny_13_ciou", "yolov4_tiny_13_ciou_iou_thresh", "yolov4_19",
        "yolov4_csp_16_new_coords", "yolov4_tiny_13_ciou_ls", "yolov4_tiny_13_giou", "yolov4_tiny_13_diou",
        "yolov4_csp_16_p5_objsmooth", "yolov4_tiny_13_counters_per_class", "yolov4_tiny_13_ls_iou_thresh",
        "yolov4_tiny_26_max_delta", "yolov3_tiny_13_truth_thresh", "yolov3_tiny_13_focal",
    ]

    // MARK: darknet oracle cases

    func testMSE() throws { try checkCase("yolov3_tiny_13_mse") }
    func testCIoU() throws { try checkCase("yolov4_tiny_13_ciou") }
    func testCIoUIoUThresh() throws { try checkCase("yolov4_tiny_13_ciou_iou_thresh") }
    func testYolov4Head19() throws { try checkCase("yolov4_19") }
    func testNewCoords() throws { try checkCase("yolov4_csp_16_new_coords") }
    func testCIoULabelSmoothing() throws { try checkCase("yolov4_tiny_13_ciou_ls") }
    func testGIoU() throws { try checkCase("yolov4_tiny_13_giou") }
    func testDIoU() throws { try checkCase("yolov4_tiny_13_diou") }
    func testObjectnessSmooth() throws { try checkCase("yolov4_csp_16_p5_objsmooth") }
    func testCountersPerClass() throws { try checkCase("yolov4_tiny_13_counters_per_class") }
    func testLabelSmoothingIoUThresh() throws { try checkCase("yolov4_tiny_13_ls_iou_thresh") }
    func testMaxDelta() throws { try checkCase("yolov4_tiny_26_max_delta") }
    func testTruthThresh() throws { try checkCase("yolov3_tiny_13_truth_thresh") }
    func testFocalLoss() throws { try checkCase("yolov3_tiny_13_focal") }

    /// Every `[yolo]` case in the oracle folder has a test above.
    func testAllOracleCasesCovered() throws {
        let root = try SharedData.path("oracle/train/cases")
        let names = try FileManager.default.contentsOfDirectory(atPath: root)
            .filter { FileManager.default.fileExists(atPath: "\(root)/\($0)/yolo.cfg") }
        XCTAssertEqual(Set(names), Set(Self.yoloCases))
    }

    /// Parallel and serial processing of the batch's images give identical bits.
    func testDeterministicAcrossThreadCounts() throws {
        let c = try OracleCase(name: "yolov4_tiny_13_ciou_iou_thresh")
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        Parallel.threads = 1
        let (serial, serialStats) = c.deltas(from: c.referenceOutput)
        Parallel.threads = 2
        let (parallel, parallelStats) = c.deltas(from: c.referenceOutput)
        XCTAssertEqual(serial, parallel)
        XCTAssertEqual(serialStats, parallelStats)
    }

    func testTruthBufferStopsAtFirstZeroX() {
        var values = [Float](repeating: 0, count: 2 * 4 * 6)
        values.replaceSubrange(0..<6, with: [0.5, 0.5, 0.2, 0.3, 7, 1])
        values.replaceSubrange(12..<18, with: [0.4, 0.4, 0.1, 0.1, 2, 3])  // after the x == 0 slot: hidden
        values.replaceSubrange(24..<30, with: [0.25, 0.75, 0.5, 0.5, 3.9, 0])
        let truths = LabelBox.images(fromDarknet: values, batch: 2, maxBoxes: 4)
        XCTAssertEqual(truths[0], [LabelBox(classID: 7, x: 0.5, y: 0.5, w: 0.2, h: 0.3)])
        XCTAssertEqual(truths[1], [LabelBox(classID: 3, x: 0.25, y: 0.75, w: 0.5, h: 0.5)])
    }

    private func checkCase(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let c = try OracleCase(name: name)

        // The layer's own forward (activation, scale_x_y) reproduces darknet's output.
        let output = try c.layerOutput()
        let outputCheck = compare(output, c.referenceOutput, atol: 1e-6, rtol: 1e-5)
        XCTAssertEqual(outputCheck.violations, 0, "\(name) output: \(outputCheck)", file: file, line: line)

        let (delta, stats) = c.deltas(from: output)
        let strict = compare(delta, c.referenceDelta, atol: 5e-7, rtol: 1e-6)
        XCTAssertEqual(strict.violations, 0, "\(name) delta (strict): \(strict)", file: file, line: line)
        XCTAssertEqual(strict.zeroMismatches, 0, "\(name) delta zero pattern: \(strict)", file: file, line: line)

        // Printed statistics, and the loss numbers.
        let printed = c.result["printed"] as! [String: Any]
        let loss = c.result["loss"] as! [String: Any]
        XCTAssertEqual(max(stats.count, 1), printed["count"] as? Int, "\(name) count", file: file, line: line)
        XCTAssertEqual(String(format: "%.6f", Double(stats.avgIoU)), String(format: "%.6f", printed["avg_iou"] as! Double),
                       "\(name) avg IoU", file: file, line: line)
        func relative(_ value: Float, _ key: String) -> Double {
            let ref = loss[key] as! Double
            return abs(Double(value) - ref) / max(abs(ref), 1e-12)
        }
        XCTAssertLessThan(relative(stats.totalLoss, "total_loss"), 1e-4, "\(name) total_loss \(stats.totalLoss)", file: file, line: line)
        XCTAssertLessThan(relative(stats.classLoss, "class_loss"), 1e-4, "\(name) class_loss \(stats.classLoss)", file: file, line: line)
        XCTAssertLessThan(relative(stats.iouLoss, "iou_loss"), 1e-3, "\(name) iou_loss \(stats.iouLoss)", file: file, line: line)
        XCTAssertLessThan(relative(stats.cost, "cost"), 1e-4, "\(name) cost \(stats.cost)", file: file, line: line)
        let printedLine = printed["line"] as! String
        let ours = stats.darknetLine(config: c.config, layerIndex: 2)
        let head = { (s: String) in s.components(separatedBy: ", class_loss")[0] }
        XCTAssertEqual(head(ours), head(printedLine), file: file, line: line)

        // new_coords: what the logistic conv before the layer turns the delta into.
        var logitsCheck: Comparison? = nil
        if let logitsFile = (c.result["files"] as! [String: String])["delta_logits"] {
            let reference = try NPY.read(path: "\(c.directory)/\(logitsFile)").values
            let logits = zip(c.input, delta).map { y, d in (1 - y) * (y * d) }
            logitsCheck = compare(logits, reference, atol: 5e-7, rtol: 1e-6)
            XCTAssertEqual(logitsCheck!.violations, 0, "\(name) delta_logits: \(logitsCheck!)", file: file, line: line)
        }

        // Fed with darknet's own output, the deltas are (nearly) bit-exact.
        let (fromReference, _) = c.deltas(from: c.referenceOutput)
        let exact = compare(fromReference, c.referenceDelta, atol: 5e-7, rtol: 1e-6)
        print("[yolo-loss] \(name): output max|Δ| \(outputCheck.maxAbs); delta max|Δ| \(strict.maxAbs) (strict ratio \(strict.worstRatio)), "
              + "from darknet's output: \(exact.bitExact)/\(exact.count) bit-exact, max|Δ| \(exact.maxAbs)"
              + (logitsCheck.map { "; delta_logits max|Δ| \($0.maxAbs)" } ?? ""))
    }

    // MARK: finite-difference checks

    /// Objectness and class deltas are −∂/∂logit of `obj_normalizer·BCE(objectness) + Σ BCE(class)` with targets
    /// 1 / 0 (label smoothing: y⁺ = 1 − ε/2, y⁻ = ε/2) for new_coords=0.
    func testObjectnessAndClassDeltasAreBCEGradients() throws {
        for (objNormalizer, eps) in [(Float(1), Float(0)), (2, 0.1)] {
            let tiny = try TinyLayer(options: "obj_normalizer=\(objNormalizer)\nlabel_smooth_eps=\(eps)", seed: 11)
            let (delta, _) = tiny.run()
            let assigned = tiny.assignedBase
            let yPlus = eps == 0 ? 1.0 : 1 - Double(eps) / 2, yMinus = Double(eps) / 2
            for a in 0..<tiny.slots {
                for cell in 0..<tiny.spatial {
                    let base = tiny.base(slot: a, cell: cell)
                    let positive = base == assigned
                    func check(_ index: Int, target: Double, weight: Double, _ what: String) {
                        let z = Double(tiny.logits[index])
                        let bce = { (z: Double) -> Double in
                            let p = 1 / (1 + exp(-z))
                            return -weight * (target * log(p) + (1 - target) * log(1 - p))
                        }
                        let expected = -centralDifference(bce, at: z)
                        XCTAssertEqual(Double(delta[index]), expected, accuracy: 2e-6 * (1 + abs(expected)),
                                       "\(what) a=\(a) cell=\(cell) on=\(objNormalizer) ε=\(eps)")
                    }
                    check(base + 4 * tiny.spatial, target: positive ? 1 : 0, weight: Double(objNormalizer), "objectness")
                    for k in 0..<tiny.classes {
                        let index = base + (5 + k) * tiny.spatial
                        if positive {
                            check(index, target: k == tiny.truth.classID ? yPlus : yMinus, weight: 1, "class \(k)")
                        } else {
                            XCTAssertEqual(delta[index], 0, "negative anchor-cells get no class delta")
                        }
                    }
                }
            }
        }
    }

    /// new_coords=1: the layer input is already a probability, so objectness and class deltas are
    /// `−∂/∂p ½·w·(y − p)²` (w = obj_normalizer for objectness), and what the logistic conv before the layer makes
    /// of them, `(1 − p)·(p·δ)`, is −∂/∂logit of the same squared error.
    func testNewCoordsObjectnessAndClassDeltasAreSquaredErrorGradients() throws {
        let tiny = try TinyLayer(options: "new_coords=1\nscale_x_y=2\nobj_normalizer=4\niou_loss=ciou", seed: 17)
        let (delta, _) = tiny.run()
        for a in 0..<tiny.slots {
            for cell in 0..<tiny.spatial {
                let base = tiny.base(slot: a, cell: cell)
                let positive = base == tiny.assignedBase
                var checks = [(base + 4 * tiny.spatial, positive ? 1.0 : 0, 4.0)]
                if positive {
                    checks += (0..<tiny.classes).map { k in (base + (5 + k) * tiny.spatial, k == tiny.truth.classID ? 1.0 : 0, 1.0) }
                }
                for (index, target, weight) in checks {
                    let p = Double(tiny.output[index])
                    let squared = { (p: Double) -> Double in 0.5 * weight * (target - p) * (target - p) }
                    let expected = -centralDifference(squared, at: p)
                    XCTAssertEqual(Double(delta[index]), expected, accuracy: 2e-6 * (1 + abs(expected)), "a=\(a) cell=\(cell)")
                    let throughLogistic = { (z: Double) -> Double in squared(1 / (1 + exp(-z))) }
                    let expectedLogit = -centralDifference(throughLogistic, at: Double(tiny.logits[index]))
                    let p32 = tiny.output[index]
                    XCTAssertEqual(Double((1 - p32) * (p32 * delta[index])), expectedLogit, accuracy: 2e-6 * (1 + abs(expectedLogit)))
                }
            }
        }
    }

    /// The MSE box delta is −∂/∂(activated x, y, raw w, h) of `½·scale·iou_normalizer·Σ(t − out)²` with
    /// scale = 2 − w·h. (Not a gradient with respect to the x, y logits: σ′ and scale_x_y are not applied.)
    func testMSEBoxDeltaIsGradientOfSquaredError() throws {
        let tiny = try TinyLayer(options: "iou_loss=mse\niou_normalizer=0.5\nscale_x_y=1.1", seed: 5)
        let (delta, _) = tiny.run()
        let t = tiny.truth
        let base = tiny.assignedBase
        let n = tiny.assignedAnchor
        let anchors = tiny.config.anchors
        let (i, j) = tiny.assignedCell
        let targets = [Double(t.x) * Double(tiny.width) - Double(i), Double(t.y) * Double(tiny.height) - Double(j),
                       log(Double(t.w) * Double(tiny.netSize) / Double(anchors[2 * n])),
                       log(Double(t.h) * Double(tiny.netSize) / Double(anchors[2 * n + 1]))]
        let weight = (2 - Double(t.w) * Double(t.h)) * 0.5
        for e in 0..<4 {
            let index = base + e * tiny.spatial
            let loss = { (out: Double) -> Double in 0.5 * weight * (targets[e] - out) * (targets[e] - out) }
            let expected = -centralDifference(loss, at: Double(tiny.output[index]))
            XCTAssertEqual(Double(delta[index]), expected, accuracy: 2e-6 * (1 + abs(expected)), "entry \(e)")
        }
    }

    /// IoU and GIoU: `G = (∂/∂x, ∂/∂y, 2·∂/∂w, 2·∂/∂h)` of the metric for overlapping boxes away from kinks
    /// (`gw`, `gh` lack the ½ of ∂l/∂w = −½, ∂r/∂w = ½). For disjoint boxes darknet's unclamped intersection makes
    /// them no gradient of anything, so those are not checked.
    func testIoUAndGIoUGradients() {
        for (pred, truth) in overlappingPairs(count: 300, seed: 21) {
            for kind in [IoULoss.iou, .giou] {
                let g = YoloLoss.iouGradient(pred: pred, truth: truth, loss: kind)
                let metric = { (b: DBox) -> Double in kind == .iou ? b.iou(DBox(truth)) : b.giou(DBox(truth)) }
                let fd = finiteGradient(metric, at: DBox(pred))
                let expected = [fd[0], fd[1], 2 * fd[2], 2 * fd[3]]
                for e in 0..<4 {
                    XCTAssertEqual(Double(g[e]), expected[e], accuracy: 1e-4 * (1 + abs(expected[e])), "\(kind) entry \(e) \(pred) \(truth)")
                }
            }
        }
    }

    /// DIoU adds `D = G_diou − G_iou` for the penalty `−S/C` (S = squared centre distance, C = squared enclosing
    /// diagonal). `Dw`, `Dh` are its true derivatives (no missing ½: darknet's ∂Cw/∂w has it). `Dx`, `Dy` carry the
    /// enclosing-box term with the wrong sign: `Dx = ∂(−S/C)/∂x − 4·Cw·(∂Cw/∂x)·S/C²`, so they are true derivatives
    /// only where ∂Cw/∂x = 0 (one box encloses the other along x). CIoU adds `α·aw`, `α·ah` to DIoU's w, h
    /// entries; with α held fixed (as the CIoU paper does) the true derivative of `−α·v` is `α·aw/(w² + h²)`:
    /// darknet drops the `1/(w² + h²)`.
    func testDIoUAndCIoUTerms() {
        var enclosingTermSeen = false
        for (pred, truth) in overlappingPairs(count: 300, seed: 33) {
            let gIoU = YoloLoss.iouGradient(pred: pred, truth: truth, loss: .iou)
            let gDIoU = YoloLoss.iouGradient(pred: pred, truth: truth, loss: .diou)
            let gCIoU = YoloLoss.iouGradient(pred: pred, truth: truth, loss: .ciou)
            let t = DBox(truth), p = DBox(pred)
            let penalty = { (b: DBox) -> Double in -b.centreDistanceSquared(t) / b.enclosingDiagonalSquared(t) }
            let fd = finiteGradient(penalty, at: p)
            let (cw, ch) = p.enclosingSize(t)
            let c = cw * cw + ch * ch
            let s = p.centreDistanceSquared(t)
            let dCwdx = (p.right > t.right ? 1.0 : 0) - (p.left < t.left ? 1.0 : 0)
            let dChdy = (p.bottom > t.bottom ? 1.0 : 0) - (p.top < t.top ? 1.0 : 0)
            if dCwdx != 0 || dChdy != 0 { enclosingTermSeen = true }
            let expected = [fd[0] - 4 * cw * dCwdx * s / (c * c), fd[1] - 4 * ch * dChdy * s / (c * c), fd[2], fd[3]]
            for e in 0..<4 {
                let d = Double(gDIoU[e]) - Double(gIoU[e])
                XCTAssertEqual(d, expected[e], accuracy: 1e-4 * (1 + abs(Double(gIoU[e])) + abs(expected[e])), "DIoU term \(e) \(pred) \(truth)")
            }

            // CIoU minus DIoU: α·aw, α·ah; compare α·(aw, ah)/(w² + h²) with −∂(α·v)/∂(w, h) at fixed α.
            let alpha = p.ciouAlpha(t)
            let aspect = { (b: DBox) -> Double in -alpha * b.aspectPenalty(t) }
            let fdAspect = finiteGradient(aspect, at: p)
            let norm = p.w * p.w + p.h * p.h
            XCTAssertEqual(Double(gCIoU[0]), Double(gDIoU[0]))
            XCTAssertEqual(Double(gCIoU[1]), Double(gDIoU[1]))
            for e in 2..<4 {
                let extra = (Double(gCIoU[e]) - Double(gDIoU[e])) / norm
                XCTAssertEqual(extra, fdAspect[e], accuracy: 1e-4 * (1 + abs(Double(gDIoU[e])) / norm + abs(fdAspect[e])),
                               "CIoU aspect term \(e) \(pred) \(truth)")
            }
        }
        XCTAssertTrue(enclosingTermSeen, "the samples should exercise the wrong-sign enclosing-box term")
    }
}

// MARK: - Oracle case helpers

private struct OracleCase {
    let name: String
    let directory: String
    let config: YoloConfig
    let netWidth: Int, netHeight: Int
    let width: Int, height: Int, batch: Int
    let input: [Float]
    let referenceOutput: [Float]
    let referenceDelta: [Float]
    let truths: [[LabelBox]]
    let result: [String: Any]

    init(name: String) throws {
        self.name = name
        directory = try SharedData.path("oracle/train/cases/\(name)")
        let cfg = try NetworkConfig(contentsOf: "\(directory)/yolo.cfg")
        guard case .yolo(let yolo) = cfg.layers[2].config else { throw XCTSkip("layer 2 of \(name) is not [yolo]") }
        config = yolo
        netWidth = cfg.net.width
        netHeight = cfg.net.height
        result = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(directory)/result.json"))) as! [String: Any]
        let shape = result["shape"] as! [String: Int]
        width = shape["width"]!
        height = shape["height"]!
        batch = shape["batch"]!
        input = try NPY.read(path: "\(directory)/input.npy").values
        referenceOutput = try NPY.read(path: "\(directory)/output_2.npy").values
        referenceDelta = try NPY.read(path: "\(directory)/delta_2.npy").values
        let truth = try NPY.read(path: "\(directory)/truth.npy")
        truths = LabelBox.images(fromDarknet: truth.values, batch: truth.shape[0], maxBoxes: truth.shape[1], truthSize: truth.shape[2])
    }

    /// `input.npy` through the network's own `[yolo]` layer (built from the case cfg with batch 2).
    func layerOutput() throws -> [Float] {
        let net = try Network(cfgPath: "\(directory)/yolo.cfg", batch: batch)
        let layer = try XCTUnwrap(net.layers[2] as? YoloLayer)
        XCTAssertEqual(layer.outputShape.w, width)
        XCTAssertEqual(layer.outputShape.h, height)
        var values = input
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 1)
        defer { scratch.deallocate() }
        values.withUnsafeMutableBufferPointer { p in
            layer.forward(ForwardContext(input: p.baseAddress!, batch: batch, netWidth: net.width, netHeight: net.height,
                                         training: true, workspace: scratch))
        }
        return Array(layer.output.array.prefix(batch * layer.outputShape.count))
    }

    func deltas(from output: [Float]) -> ([Float], YoloLossStats) {
        var delta = [Float](repeating: .nan, count: output.count)
        let stats = output.withUnsafeBufferPointer { o in
            delta.withUnsafeMutableBufferPointer { d in
                YoloLoss.compute(config: config, batch: batch, width: width, height: height, netWidth: netWidth,
                                 netHeight: netHeight, output: o.baseAddress!, truths: truths, delta: d.baseAddress!)
            }
        }
        return (delta, stats)
    }
}

private struct Comparison: CustomStringConvertible {
    var count = 0
    var violations = 0
    var zeroMismatches = 0
    var bitExact = 0
    var maxAbs: Float = 0
    var worstRatio: Double = 0
    var worst = ""

    var description: String {
        "\(violations) of \(count) outside tolerance, \(zeroMismatches) zero-pattern mismatches, max|Δ| \(maxAbs), worst \(worst)"
    }
}

/// `|a − ref| ≤ atol + rtol·|ref|` element-wise; also counts entries that are exactly 0 in one and not the other.
private func compare(_ a: [Float], _ ref: [Float], atol: Double, rtol: Double) -> Comparison {
    var c = Comparison()
    c.count = ref.count
    guard a.count == ref.count else {
        c.violations = max(a.count, ref.count)
        c.worst = "size \(a.count) vs \(ref.count)"
        return c
    }
    for k in 0..<ref.count {
        let d = abs(Double(a[k]) - Double(ref[k]))
        let tol = atol + rtol * abs(Double(ref[k]))
        if a[k].bitPattern == ref[k].bitPattern { c.bitExact += 1 }
        if (ref[k] == 0) != (a[k] == 0) { c.zeroMismatches += 1 }
        if !(d <= tol) { c.violations += 1 }
        c.maxAbs = max(c.maxAbs, Float(d))
        if d / tol > c.worstRatio || d.isNaN {
            c.worstRatio = d / tol
            c.worst = "[\(k)] \(a[k]) vs \(ref[k])"
        }
    }
    return c
}

// MARK: - Finite differences

private func centralDifference(_ f: (Double) -> Double, at x: Double, step: Double = 1e-6) -> Double {
    (f(x + step) - f(x - step)) / (2 * step)
}

/// Box in double precision for reference metrics.
private struct DBox {
    var x, y, w, h: Double
    init(x: Double, y: Double, w: Double, h: Double) { self.x = x; self.y = y; self.w = w; self.h = h }
    init(_ b: Box) { self.init(x: Double(b.x), y: Double(b.y), w: Double(b.w), h: Double(b.h)) }

    var left: Double { x - w / 2 }
    var right: Double { x + w / 2 }
    var top: Double { y - h / 2 }
    var bottom: Double { y + h / 2 }

    func intersection(_ b: DBox) -> Double {
        let iw = min(right, b.right) - max(left, b.left), ih = min(bottom, b.bottom) - max(top, b.top)
        return iw > 0 && ih > 0 ? iw * ih : 0
    }
    func union(_ b: DBox) -> Double { w * h + b.w * b.h - intersection(b) }
    func iou(_ b: DBox) -> Double { intersection(b) / union(b) }
    func enclosingSize(_ b: DBox) -> (Double, Double) {
        (max(right, b.right) - min(left, b.left), max(bottom, b.bottom) - min(top, b.top))
    }
    func giou(_ b: DBox) -> Double {
        let (cw, ch) = enclosingSize(b)
        return iou(b) - (cw * ch - union(b)) / (cw * ch)
    }
    func centreDistanceSquared(_ b: DBox) -> Double { (x - b.x) * (x - b.x) + (y - b.y) * (y - b.y) }
    func enclosingDiagonalSquared(_ b: DBox) -> Double {
        let (cw, ch) = enclosingSize(b)
        return cw * cw + ch * ch
    }
    /// CIoU's v = 4/π²·(atan(ŵ/ĥ) − atan(w/h))² for truth `b`.
    func aspectPenalty(_ b: DBox) -> Double {
        let d = atan(b.w / b.h) - atan(w / h)
        return 4 / (Double.pi * Double.pi) * d * d
    }
    func ciouAlpha(_ b: DBox) -> Double {
        let v = aspectPenalty(b)
        return v / (1 - iou(b) + v + 1e-6)
    }
}

/// Central differences of `f` with respect to x, y, w, h.
private func finiteGradient(_ f: (DBox) -> Double, at b: DBox, step: Double = 1e-7) -> [Double] {
    (0..<4).map { e in
        var plus = b, minus = b
        switch e {
        case 0: plus.x += step; minus.x -= step
        case 1: plus.y += step; minus.y -= step
        case 2: plus.w += step; minus.w -= step
        default: plus.h += step; minus.h -= step
        }
        return (f(plus) - f(minus)) / (2 * step)
    }
}

/// Random overlapping prediction/truth pairs whose corresponding edges are at least 0.01 apart (no kinks
/// within the finite-difference step).
private func overlappingPairs(count: Int, seed: UInt64) -> [(Box, Box)] {
    var rng = SeededRandom(seed: seed)
    var pairs: [(Box, Box)] = []
    while pairs.count < count {
        let truth = Box(x: rng.uniform(0.3, 0.7), y: rng.uniform(0.3, 0.7), w: rng.uniform(0.1, 0.5), h: rng.uniform(0.1, 0.5))
        let pred = Box(x: truth.x + rng.uniform(-0.15, 0.15), y: truth.y + rng.uniform(-0.15, 0.15),
                       w: truth.w * rng.uniform(0.5, 1.8), h: truth.h * rng.uniform(0.5, 1.8))
        let p = DBox(pred), t = DBox(truth)
        let gaps = [p.left - t.left, p.right - t.right, p.top - t.top, p.bottom - t.bottom,
                    p.left - t.right, p.right - t.left, p.top - t.bottom, p.bottom - t.top]
        guard p.intersection(t) > 0, gaps.allSatisfy({ abs($0) > 0.01 }) else { continue }
        pairs.append((pred, truth))
    }
    return pairs
}

/// A 4×3 `[yolo]` layer (3 anchors, 3 classes, 96×96 network) with one truth and planted logits: the truth's
/// anchor-cell predicts a box near it, every other anchor-cell has all class probabilities below 0.25 (so no
/// ignore happens) and random box/objectness logits.
private struct TinyLayer {
    let config: YoloConfig
    let width = 4, height = 3, netSize = 96
    let classes = 3, slots = 3
    var spatial: Int { width * height }
    let logits: [Float]
    let output: [Float]
    let truth = LabelBox(classID: 1, x: 0.41, y: 0.52, w: 0.3, h: 0.25)
    /// Column, row of the truth (float32 x·W, y·H truncated), its best anchor and that anchor-cell's entry 0.
    let assignedCell: (Int, Int)
    let assignedAnchor = 1
    var assignedBase: Int { base(slot: assignedAnchor, cell: assignedCell.1 * width + assignedCell.0) }

    init(options: String, seed: UInt64) throws {
        let text = """
        [net]
        width=96
        height=96
        channels=3
        [yolo]
        mask=0,1,2
        anchors=10,12, 28,24, 60,70
        classes=3
        num=3
        \(options)
        """
        let cfg = try NetworkConfig(text: text, path: "tiny.cfg")
        guard case .yolo(let yolo) = cfg.layers[0].config else { fatalError("no [yolo]") }
        config = yolo
        assignedCell = (Int(truth.x * Float(width)), Int(truth.y * Float(height)))
        var rng = SeededRandom(seed: seed)
        let entries = 5 + classes
        var z = [Float](repeating: 0, count: slots * entries * width * height)
        let s = width * height
        for a in 0..<slots {
            for cell in 0..<s {
                let base = a * entries * s + cell
                for e in 0..<5 { z[base + e * s] = rng.uniform(-1.5, 1.5) }
                for k in 0..<classes { z[base + (5 + k) * s] = rng.uniform(-4, -1.5) }
            }
        }
        let base = assignedAnchor * entries * s + assignedCell.1 * width + assignedCell.0
        z[base] = 0.3
        z[base + s] = -0.2
        z[base + 2 * s] = 0.1
        z[base + 3 * s] = -0.15
        for k in 0..<classes { z[base + (5 + k) * s] = [0.4, 1.2, -0.7][k] }
        logits = z
        // Activation as YoloLayer.forward does it: logistic on x, y, objectness, classes (new_coords=0), or on
        // everything (new_coords=1: the logistic of the conv before the layer), then scale_x_y.
        let scale = yolo.scaleXY
        let shift = Float(-0.5 * (Double(scale) - 1))
        var out = z
        for a in 0..<slots {
            for cell in 0..<s {
                let base = a * entries * s + cell
                for e in 0..<entries where yolo.newCoords || (e != 2 && e != 3) {
                    out[base + e * s] = Float(1 / (1 + exp(-Double(z[base + e * s]))))
                }
                for e in 0..<2 { out[base + e * s] = out[base + e * s] * scale + shift }
            }
        }
        output = out
    }

    func base(slot a: Int, cell: Int) -> Int { a * (5 + classes) * spatial + cell }

    func run() -> ([Float], YoloLossStats) {
        var delta = [Float](repeating: .nan, count: output.count)
        let stats = output.withUnsafeBufferPointer { o in
            delta.withUnsafeMutableBufferPointer { d in
                YoloLoss.compute(config: config, batch: 1, width: width, height: height, netWidth: netSize, netHeight: netSize,
                                 output: o.baseAddress!, truths: [[truth]], delta: d.baseAddress!)
            }
        }
        XCTAssertEqual(stats.count, 1)
        return (delta, stats)
    }
}
