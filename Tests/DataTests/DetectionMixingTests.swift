import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetFormat
import TestSupport
import XCTest

// MARK: - Modes and precedence

final class DetectionMixingModeTests: XCTestCase {
    private func params(mixup: Int = 0, cutmix: Bool = false, mosaic: Bool = false, letterBox: Bool = false) -> AugmentParameters {
        AugmentParameters(width: 64, height: 64, classes: 1, letterBox: letterBox, mixup: mixup, cutmix: cutmix, mosaic: mosaic)
    }

    func testModeCodeAndPrecedence() throws {
        XCTAssertEqual(try params().detectionMixing(), DetectionMixing.none)
        XCTAssertEqual(try params(mixup: 1).detectionMixing(), .mixup)
        XCTAssertEqual(try params(mixup: 1, mosaic: true).detectionMixing(), .mosaic, "mosaic overrides mixup=1")
        XCTAssertEqual(try params(mixup: 1, cutmix: true).detectionMixing(), .cutmix, "cutmix overrides mixup=1")
        XCTAssertEqual(params(cutmix: true, mosaic: true).mixingCode, 4)
        XCTAssertEqual(try params(cutmix: true, mosaic: true).detectionMixing(), .mosaic, "code 4 is mosaic for detection")
        XCTAssertEqual(try params(mixup: 3).detectionMixing(), .mosaic, "a raw mixup=3 is the mosaic code")
        XCTAssertThrowsError(try params(mixup: 7).detectionMixing())
        XCTAssertEqual(try params(mixup: 1, letterBox: true).detectionMixing(), .mixup)
        XCTAssertEqual(try params(cutmix: true, letterBox: true).detectionMixing(), .cutmix)
    }

    func testMosaicWithLetterBoxIsAnError() {
        for p in [params(mosaic: true, letterBox: true), params(cutmix: true, mosaic: true, letterBox: true)] {
            XCTAssertThrowsError(try p.validate()) { XCTAssertTrue("\($0)".contains("letter_box"), "\($0)") }
            // Before the coin, as in darknet: every call fails, not only the mixed half.
            for seed: UInt64 in 0..<8 {
                var rng = SeededRandom(seed: seed)
                XCTAssertThrowsError(try DetectionBatchAugment.sample(params: p, rng: &rng) { _ in (RGBImage(width: 8, height: 8), []) })
            }
            var rng = SeededRandom(seed: 1)
            XCTAssertThrowsError(try DetectionBatchAugment.sample(mixing: .mosaic, params: p, rng: &rng) { _ in (RGBImage(width: 8, height: 8), []) })
        }
    }

    func testHalfOfTheCallsMixNothing() throws {
        let scene = TestScene.grid(width: 96, height: 72)
        for (p, expected) in [(params(mixup: 1), MixLayout.mixup), (params(mosaic: true), nil), (params(cutmix: true), nil)] {
            var rng = SeededRandom(seed: 3)
            var single = 0
            for _ in 0..<400 {
                let s = try DetectionBatchAugment.sample(params: p, rng: &rng, source: DetectionBatchAugment.randomSource([(scene.image, scene.boxes)]))
                if s.info.layout == .single {
                    single += 1
                    XCTAssertEqual(s.info.sourceLabels.count, 1)
                } else if let expected {
                    XCTAssertEqual(s.info.layout, expected)
                }
            }
            XCTAssertGreaterThan(single, 160)
            XCTAssertLessThan(single, 240)
        }
        // Mixing off: always a single image.
        var rng = SeededRandom(seed: 4)
        for _ in 0..<20 {
            let s = try DetectionBatchAugment.sample(params: params(), rng: &rng) { _ in (scene.image, scene.boxes) }
            XCTAssertEqual(s.info.layout, .single)
        }
    }

    func testOneCoinPerBatch() throws {
        let scene = TestScene.grid(width: 96, height: 72)
        var rng = SeededRandom(seed: 9)
        var kinds = Set<String>()
        for _ in 0..<20 {
            let samples = try DetectionBatchAugment.batch(count: 6, params: params(mosaic: true), rng: &rng) { _ in (scene.image, scene.boxes) }
            XCTAssertEqual(samples.count, 6)
            let layouts = Set(samples.map { s -> String in if case .mosaic = s.info.layout { return "mosaic" } else { return "\(s.info.layout)" } })
            XCTAssertEqual(layouts.count, 1, "\(layouts)")
            kinds.formUnion(layouts)
        }
        XCTAssertEqual(kinds, ["mosaic", "single"])
    }

    func testParametersFromCfg() throws {
        let text = """
        [net]
        width=256
        height=192
        channels=3
        mixup=1
        cutmix=1
        mosaic=1
        mosaic_bound=1
        blur=5
        gaussian_noise=20

        [convolutional]
        filters=18
        size=1

        [yolo]
        classes=1
        """
        let p = try AugmentParameters(network: NetworkConfig(text: text, path: "m.cfg"))
        XCTAssertEqual([p.mixup, p.blur, p.gaussianNoise], [1, 5, 20])
        XCTAssertTrue(p.cutmix && p.mosaic && p.mosaicBound)
        XCTAssertEqual(try p.detectionMixing(), .mosaic)
        XCTAssertNoThrow(try p.validate())
    }
}

// MARK: - Mosaic

final class MosaicTests: XCTestCase {
    private let scenes = [TestScene.grid(width: 480, height: 360, firstClass: 0), TestScene.grid(width: 400, height: 300, firstClass: 6),
                          TestScene.grid(width: 360, height: 480, firstClass: 12), TestScene.grid(width: 640, height: 480, firstClass: 18)]

    private func quadrant(_ m: Int, cutX: Int, cutY: Int, width w: Int, height h: Int) -> MixRect {
        MixRect(x: m % 2 == 0 ? 0 : cutX, y: m < 2 ? 0 : cutY, width: m % 2 == 0 ? cutX : w - cutX, height: m < 2 ? cutY : h - cutY)
    }

    /// Every label of pass m (class 6m+k) must sit on the rectangle of colour k visible in quadrant m, and every
    /// rectangle visible there (more than a sliver) must have its label.
    func testBookkeeping() throws {
        for bound in [false, true] {
            let params = AugmentParameters(width: 320, height: 256, classes: 24, jitter: 0.3, flip: true, mosaic: true, mosaicBound: bound)
            var checked = 0, cutAway = 0, partial = 0, straddling = 0
            var pushedCuts = Set<Int>()
            for seed: UInt64 in 0..<40 {
                let cycle = SceneCycle(scenes)
                var rng = SeededRandom(seed: seed)
                let s = try DetectionBatchAugment.sample(mixing: .mosaic, params: params, rng: &rng, source: cycle.draw)
                XCTAssertEqual(cycle.next, 4)
                guard case let .mosaic(cutX, cutY) = s.info.layout else { return XCTFail("\(s.info.layout)") }
                XCTAssertTrue((64...256).contains(cutX) && (51...204).contains(cutY), "\(cutX), \(cutY)")
                pushedCuts.insert(cutX)
                XCTAssertEqual(Set(s.labels.map(\.classID)).count, s.labels.count)
                for label in s.labels {
                    XCTAssertTrue(label.w > 0 && label.w < 1 && label.h > 0 && label.h < 1 && label.x > 0 && label.x < 1 && label.y > 0 && label.y < 1)
                    XCTAssertGreaterThan(label.w, 1 / 320)
                    XCTAssertGreaterThan(label.h, 1 / 256)
                }
                for m in 0..<4 {
                    let q = quadrant(m, cutX: cutX, cutY: cutY, width: 320, height: 256)
                    for k in 0..<6 {
                        let cls = 6 * m + k
                        let seen = colourExtent(cornerColours[k], in: s.image) { x, y in
                            x >= q.x && x < q.x + q.width && y >= q.y && y < q.y + q.height
                        }
                        guard let label = s.labels.first(where: { $0.classID == cls }) else {
                            if let seen {
                                XCTAssertTrue(seen.box.2 - seen.box.0 <= 2 || seen.box.3 - seen.box.1 <= 2,
                                              "seed \(seed) bound \(bound): class \(cls) visible at \(seen.box) in quadrant \(m) but unlabelled")
                            }
                            cutAway += 1
                            continue
                        }
                        let box = pixelBox(label, width: 320, height: 256)
                        if bound {
                            XCTAssertTrue(box.0 >= Float(q.x) - 1e-3 && box.2 <= Float(q.x + q.width) + 1e-3
                                          && box.1 >= Float(q.y) - 1e-3 && box.3 <= Float(q.y + q.height) + 1e-3,
                                          "seed \(seed): class \(cls) box \(box) leaves quadrant \(q)")
                        } else if boxIoU(clip(box, to: q), box) < 0.999 {
                            straddling += 1
                        }
                        let inQuadrant = clip(box, to: q)
                        guard let seen else {
                            XCTAssertTrue(inQuadrant.2 - inQuadrant.0 <= 2 || inQuadrant.3 - inQuadrant.1 <= 2,
                                          "seed \(seed) bound \(bound): class \(cls) labelled \(box) but invisible in quadrant \(m)")
                            continue
                        }
                        let original = scenes[m].boxes[k]
                        if label.w * 320 < original.w * 0.6 * 320 { partial += 1 }
                        // darknet truncates the shifted edges to whole pixels, which can move a box by a pixel: IoU
                        // ≥ 0.95 is asked of boxes from 80 px on.
                        assertMatches(inQuadrant, seen.box, slack: 2, iouSide: 80, "seed \(seed) bound \(bound) class \(cls)")
                        checked += 1
                    }
                }
            }
            print("mosaic bound=\(bound): \(checked) labels checked, \(cutAway) cut away, \(partial) clipped, \(straddling) straddling")
            XCTAssertGreaterThan(checked, 200)
            XCTAssertGreaterThan(cutAway, 20)
            XCTAssertGreaterThan(pushedCuts.count, 20)
        }
    }

    /// No jitter and no flip: every pass is a plain resize, and the quadrants show the four images' windows next to
    /// the centre (pass 0's bottom-right corner, …, pass 3's top-left).
    func testPixelsWithoutJitter() throws {
        let params = AugmentParameters(width: 200, height: 160, classes: 24, jitter: 0, flip: false, mosaic: true)
        let sized = scenes.map { DetectionAugment.resizeLinear($0.image, width: 200, height: 160) }
        for seed: UInt64 in 0..<6 {
            let cycle = SceneCycle(scenes)
            var rng = SeededRandom(seed: seed)
            let s = try DetectionBatchAugment.sample(mixing: .mosaic, params: params, rng: &rng, source: cycle.draw)
            guard case let .mosaic(cutX, cutY) = s.info.layout else { return XCTFail() }
            for y in stride(from: 0, to: 160, by: 3) {
                for x in stride(from: 0, to: 200, by: 3) {
                    let m = (x < cutX ? 0 : 1) + (y < cutY ? 0 : 2)
                    let sx = x < cutX ? x + 200 - cutX : x - cutX
                    let sy = y < cutY ? y + 160 - cutY : y - cutY
                    for c in 0..<3 {
                        XCTAssertEqual(s.image[x, y, c], Float(Double(sized[m].pixels[3 * (sy * 200 + sx) + c]) / 255), "(\(x), \(y))")
                    }
                }
            }
            // Labels: each pass's boxes shifted by its window offset.
            for label in s.labels {
                let m = label.classID / 6
                let original = scenes[m].boxes[label.classID % 6]
                let dx = Float(m % 2 == 0 ? cutX - 200 : cutX), dy = Float(m < 2 ? cutY - 160 : cutY)
                let expected = pixelBox(original, width: 200, height: 160)
                let moved = (expected.0 + dx, expected.1 + dy, expected.2 + dx, expected.3 + dy)
                let clipped = (max(0, moved.0), max(0, moved.1), min(200, moved.2), min(160, moved.3))
                assertMatches(pixelBox(label, width: 200, height: 160), clipped, slack: 1.5, iouSide: 80, "seed \(seed) class \(label.classID)")
            }
        }
    }

    func testPushToCorner() {
        let params = AugmentParameters(width: 320, height: 320, classes: 1, jitter: 0.3, flip: true, mosaic: true)
        for slot in 0..<4 {
            var pushed = 0
            for seed: UInt64 in 0..<200 {
                var a = SeededRandom(seed: seed), b = SeededRandom(seed: seed)
                let plain = DetectionAugment.drawPlan(imageWidth: 640, imageHeight: 480, params: params, rng: &a)
                let p = DetectionAugment.drawPlan(imageWidth: 640, imageHeight: 480, params: params, mosaicSlot: slot, rng: &b)
                XCTAssertEqual(p.cropWidth, plain.cropWidth)
                XCTAssertEqual(p.cropHeight, plain.cropHeight)
                XCTAssertEqual(p.flip, plain.flip)
                if p == plain { continue }
                pushed += 1
                let zeroLeft = (slot % 2 == 0) != p.flip
                XCTAssertEqual(zeroLeft ? p.pleft : p.pright, 0, "slot \(slot) flip \(p.flip)")
                XCTAssertEqual(slot < 2 ? p.ptop : p.pbot, 0, "slot \(slot)")
            }
            XCTAssertTrue((70...130).contains(pushed), "slot \(slot): \(pushed) of 200 pushed")
        }
    }

    func testWindowOffsets() {
        // 640×480 image into 320×256: padding 64 px on the left of the image = 32 network px (−pleft·w/ow, int).
        var plan = AugmentPlan(pleft: -64, pright: 100, ptop: -30, pbot: -50, flip: false, dhue: 0, dsat: 1, dexp: 1,
                               blurMode: 0, gaussianNoise: false, imageWidth: 640, imageHeight: 480)
        // ls = 32, rs = 0, ts = 30·256/480 = 16, bs = 50·256/480 = 26 (int division).
        let w0 = DetectionBatchAugment.mosaicWindow(slot: 0, plan: plan, cutX: 100, cutY: 90, width: 320, height: 256)
        XCTAssertEqual(w0, .init(quadrant: MixRect(x: 0, y: 0, width: 100, height: 90), sourceX: 220, sourceY: 256 - 90 - 26))
        let w3 = DetectionBatchAugment.mosaicWindow(slot: 3, plan: plan, cutX: 100, cutY: 90, width: 320, height: 256)
        XCTAssertEqual(w3, .init(quadrant: MixRect(x: 100, y: 90, width: 220, height: 166), sourceX: 32, sourceY: 16))
        // Flipped: the padding is on the right of the output, so the left/right shifts swap.
        plan.flip = true
        let f0 = DetectionBatchAugment.mosaicWindow(slot: 0, plan: plan, cutX: 100, cutY: 90, width: 320, height: 256)
        XCTAssertEqual(f0.sourceX, 320 - 100 - 32)
        let f1 = DetectionBatchAugment.mosaicWindow(slot: 1, plan: plan, cutX: 100, cutY: 90, width: 320, height: 256)
        XCTAssertEqual(f1.sourceX, 0)
        // Shifts are capped by the quadrant size.
        plan.pleft = -2000
        plan.flip = false
        let capped = DetectionBatchAugment.mosaicWindow(slot: 1, plan: plan, cutX: 100, cutY: 90, width: 320, height: 256)
        XCTAssertEqual(capped.sourceX, 100)
    }

    func testLabelShiftClipAndBound() {
        // Quadrant 1 of a 100×100 canvas cut at (40, 50), source window at (10, 30): shift (+30, −30).
        let window = DetectionBatchAugment.MosaicWindow(quadrant: MixRect(x: 40, y: 0, width: 60, height: 50), sourceX: 10, sourceY: 30)
        var params = AugmentParameters(width: 100, height: 100, classes: 9)
        // Source edges at half pixels, so the truncation of the shifted edges is unambiguous.
        func box(_ cls: Int, _ l: Float, _ t: Float, _ r: Float, _ b: Float) -> LabelBox {
            LabelBox(classID: cls, x: (l + r) / 200, y: (t + b) / 200, w: (r - l) / 100, h: (b - t) / 100)
        }
        let boxes = [
            box(0, 20.5, 40.5, 40.5, 60.5),   // → [50.5, 10.5, 70.5, 30.5] → [50, 10, 70, 30]: inside
            box(1, 0.5, 40.5, 20.5, 60.5),    // → [30, 10, 50, 30]: straddles into quadrant 0
            box(2, 80.5, 40.5, 99.5, 60.5),   // → x from 110: off the canvas
            box(3, 10.5, 24.5, 30.5, 35.5),   // → y [−5.5, 5.5) → [−5, 5] → [0, 5]
            box(4, 10.5, 65.5, 30.5, 85.5),   // → y [35, 55]: crosses the bottom of the quadrant
            box(5, 20.5, 40.5, 21.7, 60.5),   // → x [50.5, 51.7) → [50, 51]: one pixel, dropped
        ]
        let free = DetectionBatchAugment.mosaicLabels(boxes, window: window, params: params, room: 10)
        XCTAssertEqual(free.map(\.classID), [0, 1, 3, 4])
        func px(_ b: LabelBox) -> [Float] { let p = pixelBox(b, width: 100, height: 100); return [p.0, p.1, p.2, p.3].map { ($0 * 1000).rounded() / 1000 } }
        XCTAssertEqual(px(free[0]), [50, 10, 70, 30])
        XCTAssertEqual(px(free[1]), [30, 10, 50, 30])
        XCTAssertEqual(px(free[2]), [40, 0, 60, 5])
        XCTAssertEqual(px(free[3]), [40, 35, 60, 55])
        params.mosaicBound = true
        let bound = DetectionBatchAugment.mosaicLabels(boxes, window: window, params: params, room: 10)
        XCTAssertEqual(bound.map(\.classID), [0, 1, 3, 4])
        XCTAssertEqual(px(bound[1]), [40, 10, 50, 30])
        XCTAssertEqual(px(bound[3]), [40, 35, 60, 50])
        XCTAssertEqual(DetectionBatchAugment.mosaicLabels(boxes, window: window, params: params, room: 2).count, 2)
    }

    func testDeterministicForASeed() throws {
        let params = AugmentParameters(width: 160, height: 128, classes: 24, jitter: 0.3, hue: 0.1, saturation: 1.5, exposure: 1.5,
                                       blur: 3, gaussianNoise: 8, mixup: 1, cutmix: true, mosaic: true)
        for mixing in [DetectionMixing.none, .mixup, .cutmix, .mosaic] {
            var a = SeededRandom(seed: 5), b = SeededRandom(seed: 5), c = SeededRandom(seed: 6)
            let first = try DetectionBatchAugment.sample(mixing: mixing, params: params, rng: &a, source: SceneCycle(scenes).draw)
            let second = try DetectionBatchAugment.sample(mixing: mixing, params: params, rng: &b, source: SceneCycle(scenes).draw)
            let other = try DetectionBatchAugment.sample(mixing: mixing, params: params, rng: &c, source: SceneCycle(scenes).draw)
            XCTAssertEqual(first, second)
            XCTAssertNotEqual(first.image, other.image)
            XCTAssertEqual(a.next(), b.next())
        }
    }
}

// MARK: - MixUp

final class MixUpTests: XCTestCase {
    /// Objects of the first image in the left third, of the second in the right third: with jitter ≤ 0.1 and no
    /// flip they stay apart, so each label can be matched to its half-strength rectangle.
    func testBothImagesBoxesOnTheirBlendedRectangles() throws {
        let a = TestScene.band(width: 480, height: 360, from: 0.03, to: 0.35, firstClass: 0)
        let b = TestScene.band(width: 400, height: 360, from: 0.65, to: 0.97, firstClass: 6)
        for letterBox in [false, true] {
            let params = AugmentParameters(width: 320, height: 256, classes: 12, jitter: 0.1, flip: false, letterBox: letterBox, mixup: 1)
            var checked = 0
            for seed: UInt64 in 0..<25 {
                var rng = SeededRandom(seed: seed)
                let s = try DetectionBatchAugment.sample(mixing: .mixup, params: params, rng: &rng, source: SceneCycle([a, b]).draw)
                XCTAssertEqual(s.info.layout, .mixup)
                XCTAssertEqual(s.info.sourceLabels.count, 2)
                XCTAssertEqual(s.labels, s.info.sourceLabels[0] + s.info.sourceLabels[1], "old boxes first, then the new ones")
                XCTAssertTrue(s.labels.contains { $0.classID < 6 } && s.labels.contains { $0.classID >= 6 })
                for cls in 0..<12 {
                    let colour = cornerColours[cls % 6]
                    let blended = zip(colour, sceneGrey).map { ($0 + $1) / 2 }
                    let seen = colourExtent(blended, in: s.image) { x, _ in cls < 6 ? x < 160 : x >= 160 }
                    guard let label = s.labels.first(where: { $0.classID == cls }) else {
                        if let seen { XCTAssertTrue(seen.box.2 - seen.box.0 <= 1 || seen.box.3 - seen.box.1 <= 1, "seed \(seed): class \(cls) unlabelled") }
                        continue
                    }
                    guard let seen else { XCTFail("seed \(seed): class \(cls) labelled but not visible"); continue }
                    let box = pixelBox(label, width: 320, height: 256)
                    assertMatches(box, seen.box, slack: 1, "seed \(seed) letterBox \(letterBox) class \(cls)")
                    // The rectangle's inside is exactly half object colour, half the other image's grey.
                    let cx = Int((box.0 + box.2) / 2), cy = Int((box.1 + box.3) / 2)
                    for c in 0..<3 where box.2 - box.0 >= 6 && box.3 - box.1 >= 6 {
                        let expected = 0.5 * Float(Double(colour[c]) / 255) + 0.5 * Float(128.0 / 255)
                        XCTAssertEqual(s.image[cx, cy, c], expected, accuracy: 1e-6, "seed \(seed) class \(cls)")
                    }
                    checked += 1
                }
            }
            XCTAssertGreaterThan(checked, 200)
        }
    }

    func testPixelsAreTheAverageAndBoxesAreCapped() throws {
        let a = TestScene.grid(width: 120, height: 90, firstClass: 0)
        let b = TestScene.grid(width: 100, height: 100, firstClass: 6)
        let params = AugmentParameters(width: 64, height: 48, classes: 12, jitter: 0, flip: false, maxBoxes: 8, mixup: 1)
        var rng = SeededRandom(seed: 1)
        let s = try DetectionBatchAugment.sample(mixing: .mixup, params: params, rng: &rng, source: SceneCycle([a, b]).draw)
        let ia = DetectionAugment.resizeLinear(a.image, width: 64, height: 48), ib = DetectionAugment.resizeLinear(b.image, width: 64, height: 48)
        for y in 0..<48 {
            for x in 0..<64 {
                for c in 0..<3 {
                    let i = 3 * (y * 64 + x) + c
                    let expected = 0.5 * Float(Double(ib.pixels[i]) / 255) + 0.5 * Float(Double(ia.pixels[i]) / 255)
                    XCTAssertEqual(s.image[x, y, c], expected)
                }
            }
        }
        XCTAssertEqual(s.labels.count, 8, "[yolo] max caps the appended boxes")
        XCTAssertEqual(s.labels.filter { $0.classID < 6 }.count, 6)
    }
}

// MARK: - CutMix

final class CutMixTests: XCTestCase {
    func testLabelRules() {
        let params = AugmentParameters(width: 100, height: 100, classes: 20)
        let patch = MixRect(x: 40, y: 40, width: 40, height: 40)   // [40, 80)²
        func box(_ cls: Int, _ l: Float, _ t: Float, _ r: Float, _ b: Float) -> LabelBox {
            LabelBox(classID: cls, x: (l + r) / 200, y: (t + b) / 200, w: (r - l) / 100, h: (b - t) / 100)
        }
        let base = [
            box(0, 10, 10, 30, 30),    // untouched
            box(1, 60, 50, 90, 70),    // left two thirds under the patch, full height: trimmed to [80, 90)
            box(2, 30, 30, 50, 50),    // corner covered (25%): bounding box unchanged
            box(3, 30, 50, 90, 60),    // middle band covered: two visible pieces, bounding box unchanged
            box(4, 45, 45, 75, 75),    // inside the patch: dropped
            box(5, 35, 50, 85, 60),    // 5 + 5 of 50 px visible (20%): dropped
            box(6, 50, 30, 60, 45),    // the patch spans its width and covers its bottom third: trimmed to y [30, 40)
        ]
        let pasted = [
            box(10, 50, 50, 70, 70),   // inside: kept as is
            box(11, 70, 60, 90, 80),   // half inside: clipped to [70, 80)
            box(12, 75, 40, 100, 50),  // 5 of 25 columns inside (20%): dropped
            box(13, 0, 0, 20, 20),     // outside: dropped
        ]
        let out = DetectionBatchAugment.cutMixLabels(base: base, pasted: pasted, patch: patch, params: params)
        XCTAssertEqual(out.map(\.classID), [0, 1, 2, 3, 6, 10, 11])
        func px(_ b: LabelBox) -> [Float] { let p = pixelBox(b, width: 100, height: 100); return [p.0, p.1, p.2, p.3].map { ($0 * 100).rounded() / 100 } }
        let byClass = Dictionary(uniqueKeysWithValues: out.map { ($0.classID, px($0)) })
        XCTAssertEqual(byClass[0], [10, 10, 30, 30])
        XCTAssertEqual(byClass[1], [80, 50, 90, 70])
        XCTAssertEqual(byClass[2], [30, 30, 50, 50])
        XCTAssertEqual(byClass[3], [30, 50, 90, 60])
        XCTAssertEqual(byClass[6], [50, 30, 60, 40])
        XCTAssertEqual(byClass[10], [50, 50, 70, 70])
        XCTAssertEqual(byClass[11], [70, 60, 80, 80])
        // Around the threshold: 31% visible is kept, 29% is not.
        let edge = DetectionBatchAugment.cutMixLabels(base: [box(0, 9, 40, 109, 50), box(1, 11, 40, 111, 50)], pasted: [],
                                                      patch: MixRect(x: 40, y: 0, width: 100, height: 100), params: params)
        XCTAssertEqual(edge.map(\.classID), [0])
        XCTAssertEqual(DetectionBatchAugment.cutMixLabels(base: base, pasted: pasted, patch: patch,
                                                          params: AugmentParameters(width: 100, height: 100, classes: 20, maxBoxes: 3)).count, 3)
    }

    /// Full pipeline: labels against the visible pixels, with the visibility rule checked on pixel counts.
    func testBookkeeping() throws {
        let a = TestScene.grid(width: 480, height: 360, firstClass: 0)
        let b = TestScene.grid(width: 400, height: 400, firstClass: 6)
        var kept = 0, trimmed = 0, dropped = 0, pastedKept = 0, pastedDropped = 0
        for letterBox in [false, true] {
            let params = AugmentParameters(width: 320, height: 320, classes: 12, jitter: 0.2, flip: true, letterBox: letterBox, cutmix: true)
            for seed: UInt64 in 0..<40 {
                var rng = SeededRandom(seed: seed)
                let s = try DetectionBatchAugment.sample(mixing: .cutmix, params: params, rng: &rng, source: SceneCycle([a, b]).draw)
                guard case let .cutmix(px, py, pw, ph) = s.info.layout else { return XCTFail() }
                XCTAssertTrue((96...256).contains(pw) && (96...256).contains(ph))
                XCTAssertTrue(px >= 0 && px + pw <= 319 && py >= 0 && py + ph <= 319)
                func inPatch(_ x: Int, _ y: Int) -> Bool { x >= px && x < px + pw && y >= py && y < py + ph }
                XCTAssertEqual(Set(s.labels.map(\.classID)).count, s.labels.count)
                for cls in 0..<12 {
                    let fromBase = cls < 6
                    let before = s.info.sourceLabels[fromBase ? 0 : 1].first { $0.classID == cls }
                    let label = s.labels.first { $0.classID == cls }
                    let seen = colourExtent(cornerColours[cls % 6], in: s.image) { x, y in inPatch(x, y) != fromBase }
                    guard let before else {
                        XCTAssertNil(label, "seed \(seed): class \(cls) appears from nowhere")
                        continue
                    }
                    let original = pixelBox(before, width: 320, height: 320)
                    let area = (original.2 - original.0) * (original.3 - original.1)
                    guard original.2 - original.0 >= 6, original.3 - original.1 >= 6 else { continue }   // slivers: counts too coarse
                    let fraction = Float(seen?.count ?? 0) / area
                    let message = "seed \(seed) letterBox \(letterBox) class \(cls): visible \(fraction) of \(original)"
                    if fraction < 0.25 {
                        XCTAssertNil(label, message)
                        if fromBase { dropped += 1 } else { pastedDropped += 1 }
                    } else if fraction > 0.35 {
                        guard let label, let seen else { XCTFail("\(message) but no label"); continue }
                        assertMatches(pixelBox(label, width: 320, height: 320), seen.box, slack: 1.5, message)
                        if fromBase {
                            kept += 1
                            let now = pixelBox(label, width: 320, height: 320)
                            if max(abs(now.0 - original.0), abs(now.1 - original.1), abs(now.2 - original.2), abs(now.3 - original.3)) > 1 { trimmed += 1 }
                        } else {
                            pastedKept += 1
                        }
                    }
                }
            }
        }
        print("cutmix: base kept \(kept) (trimmed \(trimmed)), dropped \(dropped); pasted kept \(pastedKept), dropped \(pastedDropped)")
        XCTAssertGreaterThan(trimmed, 5)
        XCTAssertGreaterThan(dropped, 5)
        XCTAssertGreaterThan(pastedKept, 20)
        XCTAssertGreaterThan(pastedDropped, 20)
    }
}

// MARK: - Blur and noise

final class BlurNoiseTests: XCTestCase {
    private func bytes(_ image: Image) -> [UInt8] {
        let plane = image.width * image.height
        var out = [UInt8](repeating: 0, count: 3 * plane)
        for i in 0..<plane { for c in 0..<3 { out[3 * i + c] = UInt8((image.data[c * plane + i] * 255).rounded()) } }
        return out
    }

    private func floats(_ pixels: [UInt8], width: Int, height: Int) -> Image {
        let plane = width * height
        var data = [Float](repeating: 0, count: 3 * plane)
        for i in 0..<plane { for c in 0..<3 { data[c * plane + i] = Float(Double(pixels[3 * i + c]) / 255) } }
        return Image(width: width, height: height, channels: 3, data: data)
    }

    private func sharp(_ image: RGBImage, _ plan: AugmentPlan, _ w: Int, _ h: Int) -> Image {
        var out = [Float](repeating: 0, count: 3 * w * h)
        out.withUnsafeMutableBufferPointer { DetectionAugment.render(image: image, plan: plan, width: w, height: h, into: $0) }
        return Image(width: w, height: h, channels: 3, data: out)
    }

    func testBackgroundBlurKeepsTruthBoxesSharp() {
        let scene = TestScene.grid(width: 480, height: 360)
        let params = AugmentParameters(width: 256, height: 256, classes: 6, jitter: 0.2, blur: 1)
        var modes = [0, 0, 0]
        for seed: UInt64 in 0..<30 {
            var rng = SeededRandom(seed: seed), probe = rng
            let plan = DetectionAugment.drawPlan(imageWidth: 480, imageHeight: 360, params: params, rng: &probe)
            modes[plan.blurMode] += 1
            let (image, labels) = DetectionAugment.augment(image: scene.image, boxes: scene.boxes, params: params, rng: &rng)
            let reference = sharp(scene.image, plan, 256, 256)
            guard plan.blurMode != 0 else { XCTAssertEqual(image, reference); continue }
            // blur=1: both random modes mean the background blur.
            var inside = [Bool](repeating: false, count: 256 * 256)
            for b in labels {
                let left = Int((b.x - b.w / 2) * 256), top = Int((b.y - b.h / 2) * 256)
                let right = min(256, left + Int(b.w * 256)), bottom = min(256, top + Int(b.h * 256))
                for y in max(0, top)..<max(max(0, top), bottom) { for x in max(0, left)..<max(max(0, left), right) { inside[y * 256 + x] = true } }
            }
            var changedOutside = 0
            for y in 0..<256 {
                for x in 0..<256 {
                    let same = (0..<3).allSatisfy { image[x, y, $0] == reference[x, y, $0] }
                    if inside[y * 256 + x] { XCTAssertTrue(same, "seed \(seed): truth pixel (\(x), \(y)) changed") } else if !same { changedOutside += 1 }
                }
            }
            if !labels.isEmpty { XCTAssertGreaterThan(changedOutside, 100, "seed \(seed): the background should be blurred") }
        }
        XCTAssertTrue(modes.allSatisfy { $0 > 3 }, "\(modes)")
    }

    func testBlurLevelIsLoweredBySmallBoxes() {
        let big = [LabelBox(classID: 0, x: 0.5, y: 0.5, w: 0.5, h: 0.5)]
        XCTAssertEqual(DetectionAugment.effectiveBlur(level: 9, labels: big, width: 256, height: 256), 9)
        let mid = [LabelBox(classID: 0, x: 0.5, y: 0.5, w: 0.5, h: 40.5 / 256)]
        XCTAssertEqual(DetectionAugment.effectiveBlur(level: 9, labels: big + mid, width: 256, height: 256), 5)
        let small = [LabelBox(classID: 0, x: 0.5, y: 0.5, w: 12 / 256, h: 0.5)]
        XCTAssertEqual(DetectionAugment.effectiveBlur(level: 9, labels: small, width: 256, height: 256), 1, "lowered to 1: background blur")
        let tiny = [LabelBox(classID: 0, x: 0.5, y: 0.5, w: 7 / 256, h: 0.5)]
        XCTAssertEqual(DetectionAugment.effectiveBlur(level: 9, labels: tiny, width: 256, height: 256), 0)
        XCTAssertEqual(DetectionAugment.effectiveBlur(level: 1, labels: tiny, width: 256, height: 256), 1, "background blur is never lowered")
        XCTAssertEqual(DetectionAugment.effectiveBlur(level: 9, labels: [], width: 256, height: 256), 9)
    }

    func testWholeImageBlur() {
        let scene = TestScene.grid(width: 480, height: 360)
        let params = AugmentParameters(width: 192, height: 160, classes: 6, jitter: 0.2, blur: 6)
        var seenLevel = false
        for seed: UInt64 in 0..<20 {
            var rng = SeededRandom(seed: seed), probe = rng
            let plan = DetectionAugment.drawPlan(imageWidth: 480, imageHeight: 360, params: params, rng: &probe)
            let (image, labels) = DetectionAugment.augment(image: scene.image, boxes: scene.boxes, params: params, rng: &rng)
            guard plan.blurMode == 2 else { continue }
            let level = DetectionAugment.effectiveBlur(level: 6, labels: labels, width: 192, height: 160)
            guard level > 1 else { continue }
            seenLevel = true
            var expected = bytes(sharp(scene.image, plan, 192, 160))
            expected.withUnsafeMutableBufferPointer { AugmentFilters.gaussianBlur($0.baseAddress!, width: 192, height: 160, kernel: 2 * (level / 2) + 1) }
            XCTAssertEqual(image, floats(expected, width: 192, height: 160))
        }
        XCTAssertTrue(seenLevel)
    }

    func testGaussianKernelAndBorders() {
        let k17 = AugmentFilters.gaussianKernel(size: 17)
        XCTAssertEqual(k17.reduce(0, +), 1, accuracy: 1e-6)
        // σ = 0.3·(8 − 1) + 0.8 = 2.9.
        XCTAssertEqual(k17[8] / k17[9], Float(exp(1 / (2 * 2.9 * 2.9))), accuracy: 1e-5)
        XCTAssertEqual(AugmentFilters.gaussianKernel(size: 1), [1])
        // A constant image stays constant (reflected borders, normalised kernel), also with a kernel wider than it.
        var flat = [UInt8](repeating: 77, count: 5 * 4 * 3)
        flat.withUnsafeMutableBufferPointer { AugmentFilters.gaussianBlur($0.baseAddress!, width: 5, height: 4, kernel: 17) }
        XCTAssertEqual(Set(flat), [77])
        // An impulse spreads as the kernel (rounded), symmetrically.
        var impulse = [UInt8](repeating: 0, count: 9 * 9 * 3)
        impulse[3 * (4 * 9 + 4)] = 255
        impulse.withUnsafeMutableBufferPointer { AugmentFilters.gaussianBlur($0.baseAddress!, width: 9, height: 9, kernel: 3) }
        let k3 = AugmentFilters.gaussianKernel(size: 3)
        XCTAssertEqual(impulse[3 * (4 * 9 + 4)], UInt8((255 * k3[1] * k3[1]).rounded()))
        XCTAssertEqual(impulse[3 * (4 * 9 + 3)], UInt8((255 * k3[0] * k3[1]).rounded()))
        XCTAssertEqual(impulse[3 * (4 * 9 + 3)], impulse[3 * (4 * 9 + 5)])
        XCTAssertEqual(impulse[3 * (3 * 9 + 4)], impulse[3 * (5 * 9 + 4)])
        XCTAssertEqual(impulse[3 * (4 * 9 + 4) + 1], 0, "channels stay separate")
    }

    func testNoiseNeverDarkens() {
        let scene = TestScene.grid(width: 200, height: 150)
        let params = AugmentParameters(width: 128, height: 96, classes: 6, jitter: 0.2, gaussianNoise: 20)
        var noisy = 0
        for seed: UInt64 in 0..<20 {
            var rng = SeededRandom(seed: seed), probe = rng
            let plan = DetectionAugment.drawPlan(imageWidth: 200, imageHeight: 150, params: params, rng: &probe)
            let (image, _) = DetectionAugment.augment(image: scene.image, boxes: scene.boxes, params: params, rng: &rng)
            let reference = sharp(scene.image, plan, 128, 96)
            guard plan.gaussianNoise else { XCTAssertEqual(image, reference); continue }
            noisy += 1
            var added = 0.0, counted = 0, zeros = 0
            for i in 0..<image.data.count {
                XCTAssertGreaterThanOrEqual(image.data[i], reference.data[i])
                let base = (reference.data[i] * 255).rounded()
                if base <= 128 {   // far from saturation
                    let d = Double((image.data[i] * 255).rounded() - base)
                    added += d
                    counted += 1
                    if d == 0 { zeros += 1 }
                }
            }
            // E[max(0, round(20·z))] ≈ 20/√(2π) ≈ 7.98; P(0) = Φ(0.5/20) ≈ 0.51.
            XCTAssertEqual(added / Double(counted), 7.98, accuracy: 0.3)
            XCTAssertEqual(Double(zeros) / Double(counted), 0.51, accuracy: 0.03)
        }
        XCTAssertTrue((4...16).contains(noisy), "noise is a coin flip per image: \(noisy)/20")
    }

    func testNoiseDistributionAndSaturation() {
        var rng = SeededRandom(seed: 8)
        var zeros = [UInt8](repeating: 0, count: 100_000)
        zeros.withUnsafeMutableBufferPointer { AugmentFilters.addGaussianNoise($0.baseAddress!, count: $0.count, sigma: 127, rng: &rng) }
        let mean = zeros.reduce(0.0) { $0 + Double($1) } / Double(zeros.count)
        // E[clamp(round(127·z), 0, 255)] = 49.61 (summed over the discrete distribution).
        XCTAssertEqual(mean, 49.61, accuracy: 0.6)
        XCTAssertEqual(Double(zeros.filter { $0 == 0 }.count) / Double(zeros.count), 0.5016, accuracy: 0.01)
        XCTAssertTrue(zeros.contains(255), "samples beyond 2σ saturate at 255")
        var bright = [UInt8](repeating: 250, count: 1001)
        bright.withUnsafeMutableBufferPointer { AugmentFilters.addGaussianNoise($0.baseAddress!, count: $0.count, sigma: 30, rng: &rng) }
        XCTAssertTrue(bright.allSatisfy { $0 >= 250 })
        XCTAssertTrue(bright.contains(255))
    }
}
