import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetFormat
import TestSupport
import XCTest

// MARK: - Synthetic scenes

/// A plain-background image with solid rectangles, one per class, and the YOLO labels that describe them.
private struct Scene {
    var image: RGBImage
    var boxes: [LabelBox]
    /// Colour of each class's rectangle.
    var colours: [(UInt8, UInt8, UInt8)]
    var background: (UInt8, UInt8, UInt8)

    /// Six equal-area rectangles in complementary pairs (red/cyan, green/magenta, blue/yellow) on mid grey, so the
    /// image's mean colour — the crop fill — is that grey too, and an edge pixel is a blend of one object colour
    /// and grey only.
    static func six(width: Int = 480, height: Int = 360) -> Scene {
        let colours: [(UInt8, UInt8, UInt8)] = [(255, 0, 0), (0, 255, 255), (0, 255, 0), (255, 0, 255), (0, 0, 255), (255, 255, 0)]
        let rw = width * 13 / 48, rh = height * 11 / 36   // 130×110 at 480×360
        let xs = [4, (width - rw) / 2, width - 4 - rw], ys = [4, height - 4 - rh]
        var rects: [(Int, Int, Int, Int)] = []
        for y in ys { for x in xs { rects.append((x, y, rw, rh)) } }
        return Scene(width: width, height: height, background: (128, 128, 128), rects: rects, colours: colours)
    }

    init(width: Int, height: Int, background: (UInt8, UInt8, UInt8), rects: [(Int, Int, Int, Int)], colours: [(UInt8, UInt8, UInt8)]) {
        var image = RGBImage(width: width, height: height)
        for i in 0..<(width * height) {
            image.pixels[3 * i] = background.0; image.pixels[3 * i + 1] = background.1; image.pixels[3 * i + 2] = background.2
        }
        var boxes: [LabelBox] = []
        for (k, r) in rects.enumerated() {
            let c = colours[k]
            for y in r.1..<(r.1 + r.3) {
                for x in r.0..<(r.0 + r.2) {
                    let i = 3 * (y * width + x)
                    image.pixels[i] = c.0; image.pixels[i + 1] = c.1; image.pixels[i + 2] = c.2
                }
            }
            boxes.append(LabelBox(classID: k, x: (Float(r.0) + Float(r.2) / 2) / Float(width),
                                  y: (Float(r.1) + Float(r.3) / 2) / Float(height),
                                  w: Float(r.2) / Float(width), h: Float(r.3) / Float(height)))
        }
        self.image = image
        self.boxes = boxes
        self.colours = Array(colours.prefix(rects.count))
        self.background = background
    }
}

/// Pixel extent [x0, x1) × [y0, y1) of the pixels of an augmented image that are nearer to `colour` than to the
/// background (i.e. more than half object in a blend of the two); nil when there are none.
private func extent(of colour: (UInt8, UInt8, UInt8), background: (UInt8, UInt8, UInt8), in image: Image) -> (Float, Float, Float, Float)? {
    let plane = image.width * image.height
    let c = [Float(colour.0), Float(colour.1), Float(colour.2)]
    let bg = [Float(background.0), Float(background.1), Float(background.2)]
    var x0 = Int.max, y0 = Int.max, x1 = -1, y1 = -1
    image.data.withUnsafeBufferPointer { d in
        for y in 0..<image.height {
            for x in 0..<image.width {
                let i = y * image.width + x
                var dc: Float = 0, db: Float = 0
                for k in 0..<3 {
                    let v = d[k * plane + i] * 255
                    dc += (v - c[k]) * (v - c[k])
                    db += (v - bg[k]) * (v - bg[k])
                }
                if dc < db {
                    x0 = min(x0, x); x1 = max(x1, x + 1); y0 = min(y0, y); y1 = max(y1, y + 1)
                }
            }
        }
    }
    return x1 < 0 ? nil : (Float(x0), Float(y0), Float(x1), Float(y1))
}

private func iou(_ a: (Float, Float, Float, Float), _ b: (Float, Float, Float, Float)) -> Float {
    let iw = max(0, min(a.2, b.2) - max(a.0, b.0)), ih = max(0, min(a.3, b.3) - max(a.1, b.1))
    let inter = iw * ih
    let union = (a.2 - a.0) * (a.3 - a.1) + (b.2 - b.0) * (b.3 - b.1) - inter
    return union > 0 ? inter / union : 0
}

private func rgb(_ values: [UInt8], width: Int, height: Int) -> RGBImage { RGBImage(width: width, height: height, pixels: values) }

/// A 1-channel pattern replicated into R, G and B.
private func grey(_ values: [UInt8], width: Int, height: Int) -> RGBImage {
    rgb(values.flatMap { [$0, $0, $0] }, width: width, height: height)
}

private func channel0(_ image: RGBImage) -> [UInt8] { stride(from: 0, to: image.pixels.count, by: 3).map { image.pixels[$0] } }

// MARK: - Box bookkeeping

final class AugmentBookkeepingTests: XCTestCase {
    /// Augments the scene under many seeds and checks every label against the rectangle visible in the pixels.
    private func checkBookkeeping(_ scene: Scene, _ params: AugmentParameters, seeds: Range<UInt64> = 0..<40,
                                  file: StaticString = #filePath, line: UInt = #line) -> (cutAway: Int, flipped: Int, worstIoU: Float) {
        var cutAway = 0, flipped = 0
        var worst: Float = 1
        for seed in seeds {
            var rng = SeededRandom(seed: seed)
            var probe = rng
            let plan = DetectionAugment.drawPlan(imageWidth: scene.image.width, imageHeight: scene.image.height, params: params, rng: &probe)
            if plan.flip { flipped += 1 }
            let (image, labels) = DetectionAugment.augment(image: scene.image, boxes: scene.boxes, params: params, rng: &rng)
            XCTAssertEqual(image.width, params.width, file: file, line: line)
            XCTAssertEqual(image.height, params.height, file: file, line: line)
            XCTAssertEqual(Set(labels.map(\.classID)).count, labels.count, "one label per object", file: file, line: line)
            let fw = Float(params.width), fh = Float(params.height)
            for (k, colour) in scene.colours.enumerated() {
                let seen = extent(of: colour, background: scene.background, in: image)
                guard let label = labels.first(where: { $0.classID == k }) else {
                    // Dropped: cut away, or a sliver under one network pixel.
                    if let seen { XCTAssertTrue(seen.2 - seen.0 <= 1 || seen.3 - seen.1 <= 1, "seed \(seed): class \(k) visible at \(seen) but has no label", file: file, line: line) }
                    cutAway += 1
                    continue
                }
                XCTAssertGreaterThan(label.x, 0, file: file, line: line)
                XCTAssertLessThanOrEqual(label.x, 1, file: file, line: line)
                XCTAssertLessThanOrEqual(label.w, 1, file: file, line: line)
                let box = ((label.x - label.w / 2) * fw, (label.y - label.h / 2) * fh, (label.x + label.w / 2) * fw, (label.y + label.h / 2) * fh)
                guard let seen else {
                    XCTFail("seed \(seed): class \(k) has label \(label) but no visible pixels", file: file, line: line)
                    continue
                }
                if box.2 - box.0 >= 40 && box.3 - box.1 >= 40 {
                    let overlap = iou(box, seen)
                    worst = min(worst, overlap)
                    XCTAssertGreaterThanOrEqual(overlap, 0.95, "seed \(seed) class \(k): label \(box) vs pixels \(seen)", file: file, line: line)
                } else {
                    // A clipped sliver: every edge within a pixel (centre sampling rounds each edge by ≤ ½ pixel).
                    for (a, b) in [(box.0, seen.0), (box.1, seen.1), (box.2, seen.2), (box.3, seen.3)] {
                        XCTAssertEqual(a, b, accuracy: 1, "seed \(seed) class \(k): label \(box) vs pixels \(seen)", file: file, line: line)
                    }
                }
            }
        }
        return (cutAway, flipped, worst)
    }

    func testJitterAndFlip() {
        let scene = Scene.six()
        let params = AugmentParameters(width: 320, height: 320, classes: 6, jitter: 0.3, flip: true)
        let result = checkBookkeeping(scene, params)
        print("bookkeeping: cut away \(result.cutAway), flipped \(result.flipped), worst IoU \(result.worstIoU)")
        XCTAssertGreaterThan(result.cutAway, 0, "some seeds should crop an object away entirely")
        XCTAssertGreaterThan(result.flipped, 5)
        XCTAssertLessThan(result.flipped, 35)
    }

    func testResizeUpAndDown() {
        let scene = Scene.six()
        _ = checkBookkeeping(scene, AugmentParameters(width: 320, height: 256, classes: 6, jitter: 0.2, resize: 1.5))
        _ = checkBookkeeping(scene, AugmentParameters(width: 320, height: 320, classes: 6, jitter: 0.15, resize: 0.75))
    }

    func testLetterBoxWideAndTallNetworks() {
        let scene = Scene.six()
        _ = checkBookkeeping(scene, AugmentParameters(width: 320, height: 320, classes: 6, jitter: 0.2, letterBox: true))
        _ = checkBookkeeping(scene, AugmentParameters(width: 256, height: 384, classes: 6, jitter: 0.1, letterBox: true))
        let tall = Scene.six(width: 300, height: 420)
        _ = checkBookkeeping(tall, AugmentParameters(width: 416, height: 320, classes: 6, jitter: 0.1, letterBox: true))
    }

    func testNoJitterIsAPlainResize() {
        let scene = Scene.six()
        let params = AugmentParameters(width: 320, height: 240, classes: 6, jitter: 0, flip: false)
        var rng = SeededRandom(seed: 7)
        let (image, labels) = DetectionAugment.augment(image: scene.image, boxes: scene.boxes, params: params, rng: &rng)
        XCTAssertEqual(image, DetectionAugment.resizeLinear(scene.image, width: 320, height: 240).toImageExact())
        XCTAssertEqual(labels.sorted { $0.classID < $1.classID }.map(\.classID), Array(0..<6))
        for label in labels {
            let original = scene.boxes[label.classID]
            XCTAssertEqual(label.x, original.x, accuracy: 1e-6)
            XCTAssertEqual(label.y, original.y, accuracy: 1e-6)
            XCTAssertEqual(label.w, original.w, accuracy: 1e-6)
            XCTAssertEqual(label.h, original.h, accuracy: 1e-6)
        }
    }

    func testHSVJitterLeavesLabelsAlone() {
        let scene = Scene.six()
        let plain = AugmentParameters(width: 256, height: 256, classes: 6, jitter: 0.3)
        var coloured = plain
        coloured.hue = 0.1; coloured.saturation = 1.5; coloured.exposure = 1.5
        for seed: UInt64 in 0..<5 {
            var a = SeededRandom(seed: seed), b = SeededRandom(seed: seed)
            let (imageA, labelsA) = DetectionAugment.augment(image: scene.image, boxes: scene.boxes, params: plain, rng: &a)
            let (imageB, labelsB) = DetectionAugment.augment(image: scene.image, boxes: scene.boxes, params: coloured, rng: &b)
            XCTAssertEqual(labelsA, labelsB)
            XCTAssertNotEqual(imageA, imageB)
        }
    }
}

private extension RGBImage {
    /// `byte/255` into CHW floats the way the augmentation converts (double division).
    func toImageExact() -> Image {
        let plane = width * height
        var data = [Float](repeating: 0, count: 3 * plane)
        for i in 0..<plane { for c in 0..<3 { data[c * plane + i] = Float(Double(pixels[3 * i + c]) / 255) } }
        return Image(width: width, height: height, channels: 3, data: data)
    }
}

// MARK: - Truth filtering

final class TruthFilterTests: XCTestCase {
    private func plan(_ ow: Int, _ oh: Int, pleft: Int = 0, pright: Int = 0, ptop: Int = 0, pbot: Int = 0, flip: Bool = false) -> AugmentPlan {
        AugmentPlan(pleft: pleft, pright: pright, ptop: ptop, pbot: pbot, flip: flip, dhue: 0, dsat: 1, dexp: 1,
                    blurMode: 0, gaussianNoise: false, imageWidth: ow, imageHeight: oh)
    }

    func testDropsBadClassesTinyBoxesAndInvalidOnes() throws {
        let params = AugmentParameters(width: 100, height: 100, classes: 3)
        let boxes = [
            LabelBox(classID: 0, x: 0.5, y: 0.5, w: 0.2, h: 0.2),     // kept
            LabelBox(classID: 3, x: 0.5, y: 0.5, w: 0.2, h: 0.2),     // class ≥ classes
            LabelBox(classID: 1, x: 0.3, y: 0.3, w: 0.005, h: 0.2),   // narrower than one network pixel
            LabelBox(classID: 1, x: 0, y: 0, w: 0.2, h: 0.2),         // x = y = 0: invalid
            LabelBox(classID: 2, x: 1.3, y: 0.5, w: 0.2, h: 0.2),     // entirely right of the image
            LabelBox(classID: 2, x: 0.5, y: 0.5, w: 1.4, h: 0.3),     // wider than the image: clipped to w = 1
        ]
        var rng = SeededRandom(seed: 1)
        let kept = DetectionAugment.fillTruth(boxes, plan: plan(200, 100), imageWidth: 200, imageHeight: 100, params: params, rng: &rng)
        XCTAssertEqual(kept.count, 2)
        let plain = try XCTUnwrap(kept.first { $0.classID == 0 })
        for (a, b) in [(plain.x, 0.5), (plain.y, 0.5), (plain.w, 0.2), (plain.h, 0.2)] as [(Float, Float)] { XCTAssertEqual(a, b, accuracy: 1e-6) }
        let wide = kept.first { $0.classID == 2 }
        XCTAssertEqual(wide?.w, 1)
        XCTAssertEqual(wide?.x, 0.5)
    }

    func testCropShiftScaleAndFlip() {
        // 200×100 image, crop [50, 150) × [0, 100): a box at x ∈ [60, 100) px moves to [10, 50) of 100.
        let params = AugmentParameters(width: 100, height: 100, classes: 1)
        let box = LabelBox(classID: 0, x: 80 / 200, y: 0.5, w: 40 / 200, h: 0.5)
        var rng = SeededRandom(seed: 1)
        let moved = DetectionAugment.fillTruth([box], plan: plan(200, 100, pleft: 50, pright: 50), imageWidth: 200, imageHeight: 100, params: params, rng: &rng)
        XCTAssertEqual(moved.count, 1)
        XCTAssertEqual(moved[0].x, 0.3, accuracy: 1e-6)
        XCTAssertEqual(moved[0].w, 0.4, accuracy: 1e-6)
        XCTAssertEqual(moved[0].y, 0.5, accuracy: 1e-6)
        let flipped = DetectionAugment.fillTruth([box], plan: plan(200, 100, pleft: 50, pright: 50, flip: true), imageWidth: 200, imageHeight: 100, params: params, rng: &rng)
        XCTAssertEqual(flipped[0].x, 0.7, accuracy: 1e-6)
        XCTAssertEqual(flipped[0].w, 0.4, accuracy: 1e-6)
        // Cropped away entirely (the crop starts right of the box): clamped to zero width and dropped.
        let gone = DetectionAugment.fillTruth([box], plan: plan(200, 100, pleft: 110, pright: -10), imageWidth: 200, imageHeight: 100, params: params, rng: &rng)
        XCTAssertEqual(gone, [])
        // Half cut: [60, 100) with the crop starting at 80 → [0, 20) of a 100-px crop, clamped at the edge.
        let half = DetectionAugment.fillTruth([box], plan: plan(200, 100, pleft: 80, pright: 20), imageWidth: 200, imageHeight: 100, params: params, rng: &rng)
        XCTAssertEqual(half[0].x, 0.1, accuracy: 1e-6)
        XCTAssertEqual(half[0].w, 0.2, accuracy: 1e-6)
    }

    func testMaxBoxesAfterPermutation() {
        let params = AugmentParameters(width: 100, height: 100, classes: 50, maxBoxes: 5)
        let boxes = (0..<50).map { LabelBox(classID: $0, x: 0.5, y: 0.5, w: 0.1, h: 0.1) }
        var seen = Set<Int>()
        for seed: UInt64 in 0..<20 {
            var rng = SeededRandom(seed: seed)
            let kept = DetectionAugment.fillTruth(boxes, plan: plan(100, 100), imageWidth: 100, imageHeight: 100, params: params, rng: &rng)
            XCTAssertEqual(kept.count, 5)
            seen.formUnion(kept.map(\.classID))
        }
        XCTAssertGreaterThan(seen.count, 30, "the kept boxes should be a random subset")
        // The limit applies before filtering (darknet truncates the permuted list, then drops bad boxes).
        let mixed = (0..<10).map { LabelBox(classID: $0 % 2 == 0 ? 0 : 99, x: 0.5, y: 0.5, w: 0.1, h: 0.1) }
        var counts = Set<Int>()
        for seed: UInt64 in 0..<30 {
            var rng = SeededRandom(seed: seed)
            counts.insert(DetectionAugment.fillTruth(mixed, plan: plan(100, 100), imageWidth: 100, imageHeight: 100, params: params, rng: &rng).count)
        }
        XCTAssertTrue(counts.count > 1 && counts.allSatisfy { $0 <= 5 }, "\(counts)")
    }
}

// MARK: - Crop geometry

final class AugmentPlanTests: XCTestCase {
    func testJitterBounds() {
        let params = AugmentParameters(width: 416, height: 416, classes: 1, jitter: 0.3)
        var rng = SeededRandom(seed: 3)
        var minLeft = Int.max, maxLeft = Int.min
        for _ in 0..<2000 {
            let p = DetectionAugment.drawPlan(imageWidth: 640, imageHeight: 480, params: params, rng: &rng)
            for v in [p.pleft, p.pright] { XCTAssertTrue((-192...192).contains(v)) }
            for v in [p.ptop, p.pbot] { XCTAssertTrue((-144...144).contains(v)) }
            minLeft = min(minLeft, p.pleft); maxLeft = max(maxLeft, p.pleft)
        }
        XCTAssertLessThan(minLeft, -180)
        XCTAssertGreaterThan(maxLeft, 180)
    }

    func testResizeRanges() {
        // resize = 2: resize_down = 0.5 → min_rdw = int(640·(1 − 2)/2) = −320; resize_up = 2 → max_rdw = 160.
        var rng = SeededRandom(seed: 5)
        let up = AugmentParameters(width: 416, height: 416, classes: 1, jitter: 0, resize: 2)
        var lo = Int.max, hi = Int.min
        for _ in 0..<2000 {
            let p = DetectionAugment.drawPlan(imageWidth: 640, imageHeight: 480, params: up, rng: &rng)
            XCTAssertTrue((-320...160).contains(p.pleft))
            lo = min(lo, p.pleft); hi = max(hi, p.pleft)
            XCTAssertTrue((-240...120).contains(p.ptop))
        }
        XCTAssertLessThan(lo, -300)
        XCTAssertGreaterThan(hi, 140)
        // resize < 1 only zooms out: 0.5 → min_rdw = −320, max 0.
        let down = AugmentParameters(width: 416, height: 416, classes: 1, jitter: 0, resize: 0.5)
        for _ in 0..<500 {
            let p = DetectionAugment.drawPlan(imageWidth: 640, imageHeight: 480, params: down, rng: &rng)
            XCTAssertTrue((-320...0).contains(p.pleft))
            XCTAssertTrue((-320...0).contains(p.pright))
        }
    }

    func testLetterBoxGrowsTheCropToTheNetworkAspect() {
        var rng = SeededRandom(seed: 1)
        let params = AugmentParameters(width: 416, height: 416, classes: 1, jitter: 0, flip: false, letterBox: true)
        let wide = DetectionAugment.drawPlan(imageWidth: 640, imageHeight: 480, params: params, rng: &rng)
        XCTAssertEqual([wide.pleft, wide.pright, wide.ptop, wide.pbot], [0, 0, -80, -80])
        XCTAssertEqual(wide.cropWidth, 640)
        XCTAssertEqual(wide.cropHeight, 640)
        let tall = DetectionAugment.drawPlan(imageWidth: 301, imageHeight: 500, params: params, rng: &rng)
        // delta = (500 − 301)/2 = 99.5 → int(0 − 99.5) = −99 on both sides.
        XCTAssertEqual([tall.pleft, tall.pright, tall.ptop, tall.pbot], [-99, -99, 0, 0])
    }

    func testDegenerateCropFallsBackToTheFullImage() {
        // A huge jitter can make the crop empty; darknet then uses the whole image.
        let params = AugmentParameters(width: 64, height: 64, classes: 1, jitter: 5)
        var rng = SeededRandom(seed: 11)
        var fallbacks = 0
        for _ in 0..<200 {
            let p = DetectionAugment.drawPlan(imageWidth: 40, imageHeight: 30, params: params, rng: &rng)
            XCTAssertGreaterThan(p.cropWidth, 0)
            XCTAssertGreaterThan(p.cropHeight, 0)
            XCTAssertGreaterThan(40 - p.pleft, 0)
            if p.pleft == 0 && p.pright == 0 && p.ptop == 0 && p.pbot == 0 { fallbacks += 1 }
        }
        XCTAssertGreaterThan(fallbacks, 0)
    }

    func testParametersFromCfgAndValidation() throws {
        let text = """
        [net]
        width=608
        height=416
        channels=3
        hue=.1
        saturation=1.5
        exposure=1.4
        letter_box=1
        flip=0

        [convolutional]
        filters=255
        size=1

        [yolo]
        classes=20
        jitter=.1

        [convolutional]
        filters=255
        size=1

        [yolo]
        classes=80
        jitter=.3
        resize=1.5
        max=120
        """
        let p = try AugmentParameters(network: NetworkConfig(text: text, path: "t.cfg"))
        XCTAssertEqual(p, AugmentParameters(width: 608, height: 416, classes: 80, jitter: 0.3, resize: 1.5, flip: false, hue: 0.1,
                                            saturation: 1.5, exposure: 1.4, letterBox: true, maxBoxes: 120))
        XCTAssertNoThrow(try p.validate())
        var bad = p
        bad.resize = 0
        XCTAssertThrowsError(try bad.validate())
        XCTAssertThrowsError(try AugmentParameters(network: NetworkConfig(text: "[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nfilters=1\n", path: "n.cfg")))
    }
}

// MARK: - Pixels

final class AugmentPixelTests: XCTestCase {
    func testLinearResize2x2To4x4() {
        // Half-pixel centres: source positions −0.25, 0.25, 0.75, 1.25 → weights (clamped), ¼, ¾, (clamped).
        let image = grey([0, 100, 200, 40], width: 2, height: 2)
        let out = DetectionAugment.resizeLinear(image, width: 4, height: 4)
        XCTAssertEqual(channel0(out), [0, 25, 75, 100,
                                       50, 59, 76, 85,       // ¾·row0 + ¼·row1: 58.75 → 59, 76.25 → 76
                                       150, 126, 79, 55,     // ¼·row0 + ¾·row1: 126.25 → 126, 78.75 → 79
                                       200, 160, 80, 40])
    }

    func testLinearResizeDownscales() {
        // 4 → 2: positions 0.5 and 2.5 average neighbouring pairs.
        XCTAssertEqual(channel0(DetectionAugment.resizeLinear(grey([10, 20, 30, 50], width: 4, height: 1), width: 2, height: 1)), [15, 40])
        // 3 → 2: positions 0.25 and 1.75.
        XCTAssertEqual(channel0(DetectionAugment.resizeLinear(grey([0, 100, 200], width: 3, height: 1), width: 2, height: 1)), [25, 175])
        // Channels stay separate.
        let colour = rgb([255, 0, 10, 0, 255, 30], width: 2, height: 1)
        XCTAssertEqual(DetectionAugment.resizeLinear(colour, width: 1, height: 1).pixels, [128, 128, 20])
    }

    func testMeanColourRoundsHalfToEven() {
        // R: 61/4 = 15.25 → 15; G: 10/4 = 2.5 → 2; B: 22/4 = 5.5 → 6.
        let image = rgb([0, 1, 5, 10, 2, 6, 20, 3, 5, 31, 4, 6], width: 4, height: 1)
        XCTAssertTrue(DetectionAugment.meanColour(image) == (15, 2, 6))
    }

    func testCropOutsideTheImageIsMeanFilled() {
        let image = rgb([0, 1, 5, 10, 2, 6, 20, 3, 5, 31, 4, 6], width: 2, height: 2)
        let crop = DetectionAugment.cropWithMeanFill(image, x: -1, y: -1, width: 4, height: 3)
        let m: [UInt8] = [15, 2, 6]
        XCTAssertEqual(crop.pixels, m + m + m + m
                                  + m + [0, 1, 5, 10, 2, 6] + m
                                  + m + [20, 3, 5, 31, 4, 6] + m)
    }

    func testLetterBoxPaddingIsTheMeanColour() {
        // 200×50 into 100×100: crop rows −75…125, exact 2× downscale; rows 0…36 are pure fill.
        var image = RGBImage(width: 200, height: 50)
        for i in 0..<(200 * 50) { image.pixels[3 * i] = UInt8(i % 200); image.pixels[3 * i + 1] = 200; image.pixels[3 * i + 2] = UInt8(i % 7) }
        let mean = DetectionAugment.meanColour(image)
        let params = AugmentParameters(width: 100, height: 100, classes: 1, jitter: 0, flip: false, letterBox: true)
        var rng = SeededRandom(seed: 2)
        let box = LabelBox(classID: 0, x: 0.5, y: 0.5, w: 0.5, h: 0.5)
        let (out, labels) = DetectionAugment.augment(image: image, boxes: [box], params: params, rng: &rng)
        for y in [0, 20, 36, 63, 99] {
            for x in [0, 50, 99] {
                XCTAssertEqual(out[x, y, 0], Float(Double(mean.0) / 255), "(\(x), \(y))")
                XCTAssertEqual(out[x, y, 1], Float(Double(mean.1) / 255))
                XCTAssertEqual(out[x, y, 2], Float(Double(mean.2) / 255))
            }
        }
        XCTAssertEqual(out[10, 50, 1], 200 / 255, accuracy: 1e-6)
        // y: 25 px of a 50-px image, shifted by 75 in a 200-px crop → [87.5, 112.5) / 200.
        XCTAssertEqual(labels.count, 1)
        XCTAssertEqual(labels[0].y, 0.5, accuracy: 1e-6)
        XCTAssertEqual(labels[0].h, 0.125, accuracy: 1e-6)
        XCTAssertEqual(labels[0].w, 0.5, accuracy: 1e-6)
    }

    func testFlipMirrorsThePixels() {
        let image = grey([0, 50, 100, 150, 200, 250], width: 6, height: 1)
        let params = AugmentParameters(width: 6, height: 1, classes: 1, jitter: 0, flip: true)
        for seed: UInt64 in 0..<8 {
            var rng = SeededRandom(seed: seed), probe = rng
            let plan = DetectionAugment.drawPlan(imageWidth: 6, imageHeight: 1, params: params, rng: &probe)
            let (out, _) = DetectionAugment.augment(image: image, boxes: [], params: params, rng: &rng)
            let row = (0..<6).map { UInt8((out[$0, 0, 0] * 255).rounded()) }
            XCTAssertEqual(row, plan.flip ? [250, 200, 150, 100, 50, 0] : [0, 50, 100, 150, 200, 250])
        }
    }

    func testKnownHSVValues() {
        let colours: [[UInt8]] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [128, 128, 128], [0, 0, 0], [200, 100, 50], [255, 0, 1]]
        let hsv = DetectionAugment.rgbToHSV(rgb(colours.flatMap { $0 }, width: colours.count, height: 1))
        XCTAssertEqual(hsv.pixels, [0, 255, 255, 60, 255, 255, 120, 255, 255, 30, 255, 255, 0, 0, 128, 0, 0, 0,
                                    10, 191, 200,
                                    0, 255, 255])   // hue −0.12 (in 2° units) wraps to 179.88, rounds to 180 ≡ 0
        XCTAssertEqual(DetectionAugment.hsvToRGB(hsv).pixels.prefix(21), colours.flatMap { $0 }.prefix(21))
    }

    func testHSVRoundTrip() {
        var pixels: [UInt8] = []
        for r in stride(from: 0, through: 255, by: 5) {
            for g in stride(from: 0, through: 255, by: 5) { for b in stride(from: 0, through: 255, by: 5) { pixels += [UInt8(r), UInt8(g), UInt8(b)] } }
        }
        let image = rgb(pixels, width: pixels.count / 3, height: 1)
        let back = DetectionAugment.hsvToRGB(DetectionAugment.rgbToHSV(image))
        var worstLowChroma = 0, worstExcess = 0
        for i in 0..<(pixels.count / 3) {
            let a = pixels[(3 * i)..<(3 * i + 3)].map(Int.init), b = back.pixels[(3 * i)..<(3 * i + 3)].map(Int.init)
            let chroma = a.max()! - a.min()!
            let error = zip(a, b).map { abs($0 - $1) }.max()!
            // 8-bit H has 2° steps: the middle component can move by chroma/60 (≤ 4.25) plus rounding.
            worstExcess = max(worstExcess, error - (chroma / 60 + 1))
            if chroma <= 30 { worstLowChroma = max(worstLowChroma, error) }
        }
        print("HSV round trip: worst excess \(worstExcess), worst low-chroma error \(worstLowChroma)")
        XCTAssertLessThanOrEqual(worstExcess, 0)
        XCTAssertLessThanOrEqual(worstLowChroma, 1, "low-saturation colours survive within ±1")
        // No jitter at all: darknet skips the conversion, so pixels are untouched.
        var rng = SeededRandom(seed: 4)
        let params = AugmentParameters(width: image.width, height: 1, classes: 1, jitter: 0, flip: false)
        let (out, _) = DetectionAugment.augment(image: image, boxes: [], params: params, rng: &rng)
        XCTAssertEqual(out, image.toImageExact())
    }

    func testHueSaturatesInsteadOfWrapping() {
        let base = DetectionAugment.hsvToRGB(rgb([170, 255, 255, 100, 255, 255, 10, 255, 255], width: 3, height: 1))
        XCTAssertEqual(base.pixels, [255, 0, 85, 0, 170, 255, 255, 85, 0])
        func hue(_ h: UInt8) -> [UInt8] { DetectionAugment.hsvToRGB(rgb([h, 255, 255], width: 1, height: 1)).pixels }
        // +½ turn = +89.5: 170 saturates at H = 255 instead of wrapping to 80.
        let up = DetectionAugment.jitterHSV(base, dhue: 0.5, dsat: 1, dexp: 1)
        XCTAssertEqual(Array(up.pixels[0..<3]), hue(255))
        XCTAssertNotEqual(hue(255), hue(80))
        // Below the 255 cap the stored H may pass 179: 100 → 190, which the back conversion reads as 10 (370°).
        XCTAssertEqual(Array(up.pixels[3..<6]), hue(10))
        // −½ turn: 10 − 89.5 saturates at 0 (pure red) instead of wrapping to 100.
        let down = DetectionAugment.jitterHSV(base, dhue: -0.5, dsat: 1, dexp: 1)
        XCTAssertEqual(Array(down.pixels[6..<9]), [255, 0, 0])
        // Saturation and value saturate at 255 too.
        let grey = rgb([200, 100, 100], width: 1, height: 1)
        // (200,100,100) = (H 0, S 128, V 200); V·2 → 255, and S = 128 gives 255·(1 − 128/255) = 127.
        XCTAssertEqual(DetectionAugment.jitterHSV(grey, dhue: 0, dsat: 1, dexp: 2).pixels, [255, 127, 127])
        XCTAssertEqual(DetectionAugment.jitterHSV(grey, dhue: 0, dsat: 10, dexp: 1).pixels, [200, 0, 0])
    }

    func testDeterministicForASeed() {
        let scene = Scene.six()
        let params = AugmentParameters(width: 224, height: 224, classes: 6, jitter: 0.3, resize: 1.5, hue: 0.1, saturation: 1.5, exposure: 1.5, blur: 1, gaussianNoise: 10)
        var a = SeededRandom(seed: 99), b = SeededRandom(seed: 99), c = SeededRandom(seed: 100)
        let first = DetectionAugment.augment(image: scene.image, boxes: scene.boxes, params: params, rng: &a)
        let second = DetectionAugment.augment(image: scene.image, boxes: scene.boxes, params: params, rng: &b)
        let other = DetectionAugment.augment(image: scene.image, boxes: scene.boxes, params: params, rng: &c)
        XCTAssertEqual(first.0, second.0)
        XCTAssertEqual(first.1, second.1)
        XCTAssertNotEqual(first.0, other.0)
        XCTAssertEqual(a.next(), b.next(), "same number of draws")
    }
}

// MARK: - Random helpers

final class DarknetRandomTests: XCTestCase {
    func testRandScaleRanges() {
        var rng = SeededRandom(seed: 1)
        var below = 0, lo: Float = 10, hi: Float = 0
        for _ in 0..<20000 {
            let v = rng.randScale(1.5)
            XCTAssertTrue(v >= 1 / 1.5 && v <= 1.5, "\(v)")
            if v < 1 { below += 1 }
            lo = min(lo, v); hi = max(hi, v)
        }
        XCTAssertLessThan(abs(below - 10000), 400)
        XCTAssertLessThan(lo, 0.67)
        XCTAssertGreaterThan(hi, 1.49)
        // s < 1: bounds swapped, u ∈ [0.5, 1], result in [0.5, 2].
        for _ in 0..<5000 {
            let v = rng.randScale(0.5)
            XCTAssertTrue(v >= 0.5 && v <= 2, "\(v)")
        }
        XCTAssertEqual(rng.randScale(1), 1)
    }

    func testUniformIntAndPrecalc() {
        var rng = SeededRandom(seed: 2)
        var ints = Set<Int>()
        for _ in 0..<1000 { ints.insert(rng.randInt(2, 5)); ints.insert(rng.randInt(5, 2)) }
        XCTAssertEqual(ints, [2, 3, 4, 5])
        for _ in 0..<1000 {
            let f = rng.randomFloat()
            XCTAssertTrue(f >= 0 && f <= 1)
            let u = rng.randUniformStrong(3, 1)
            XCTAssertTrue(u >= 1 && u <= 3)
        }
        XCTAssertEqual(SeededRandom.randPrecalcRandom(-4, 4, 0.25), -2)
        XCTAssertEqual(SeededRandom.randPrecalcRandom(4, -4, 0.25), -2)
        XCTAssertEqual(SeededRandom.randPrecalcRandom(-80, 0, 1), 0)
    }
}

// MARK: - Label files

final class YOLOLabelFileTests: XCTestCase {
    func testReadsBoxesAndMissingFiles() throws {
        let dir = try SharedData.temporaryDirectory()
        let path = dir + "/a.txt"
        try "0 0.5 0.5 0.2 0.1\r\n\n  12\t0.25 0.75 1e-1 0.3  \n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try YOLOLabelFile.read(path: path), [LabelBox(classID: 0, x: 0.5, y: 0.5, w: 0.2, h: 0.1),
                                                            LabelBox(classID: 12, x: 0.25, y: 0.75, w: 0.1, h: 0.3)])
        XCTAssertNil(try YOLOLabelFile.read(path: dir + "/missing.txt"))
        try "".write(toFile: dir + "/empty.txt", atomically: true, encoding: .utf8)
        XCTAssertEqual(try YOLOLabelFile.read(path: dir + "/empty.txt"), [])
    }

    func testMalformedLinesNameFileAndLine() throws {
        let dir = try SharedData.temporaryDirectory()
        let cases: [(String, String)] = [
            ("0 0.5 0.5 0.2 0.1\n\n1 0.5 0.5 0.2\n", "found 4"),
            ("0 0.5 0.5 0.2 0.1\n\nx 0.5 0.5 0.2 0.1\n", "not an integer"),
            ("0 0.5 0.5 0.2 0.1\n\n1 0.5 nan 0.2 0.1\n", "not a finite number"),
            ("0 0.5 0.5 0.2 0.1\n\n-1 0.5 0.5 0.2 0.1\n", "negative"),
            ("0 0.5 0.5 0.2 0.1\n\n1 0.5 0.5 0.2 0.1 7\n", "found 6"),
        ]
        for (k, (text, message)) in cases.enumerated() {
            let path = dir + "/bad\(k).txt"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try YOLOLabelFile.read(path: path)) { error in
                guard case let .data(p, line, m)? = error as? SwiftnetError else { return XCTFail("\(error)") }
                XCTAssertEqual(p, path)
                XCTAssertEqual(line, 3)
                XCTAssertTrue(m.contains(message), m)
                XCTAssertTrue("\(error)".hasPrefix("\(path):3: "))
            }
        }
    }
}
