import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetFormat
import XCTest

/// Solid-colour class images: class k is `classColours[k]` everywhere.
private let classColours: [[UInt8]] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [0, 255, 255]]

private func solid(_ k: Int, width: Int = 64, height: Int = 64) -> RGBImage {
    RGBImage(width: width, height: height, pixels: Array((0..<(width * height)).map { _ in classColours[k] }.joined()))
}

/// Parameters under which a 64×64 source maps exactly onto a 32×32 output (scale ½, no slack for offsets).
private func solidParams(classes: Int = 5, mixup: Int = 0, cutmix: Bool = false, mosaic: Bool = false, eps: Float = 0) -> ClassifierAugmentParameters {
    ClassifierAugmentParameters(width: 32, height: 32, classes: classes, minCrop: 32, maxCrop: 32, flip: true,
                                mixup: mixup, cutmix: cutmix, mosaic: mosaic, labelSmoothEps: eps)
}

/// Draws a uniformly random class and its solid image.
private func solidSource(_ rng: inout SeededRandom) -> (image: RGBImage, classIndex: Int) {
    let k = rng.randomIndex(below: classColours.count)
    return (solid(k), k)
}

/// The class whose colour pixel (x, y) shows.
private func classAt(_ image: Image, _ x: Int, _ y: Int) -> Int? {
    let v = (0..<3).map { UInt8((image[x, y, $0] * 255).rounded()) }
    return classColours.firstIndex(of: v)
}

final class ClassifierLabelTests: XCTestCase {
    func testLabelFromPath() throws {
        let names = ["cat", "dog", "bird"]
        XCTAssertEqual(try ClassifierAugment.label(forPath: "data/train/dog_0001.jpg", names: names), 1)
        XCTAssertEqual(try ClassifierAugment.label(forPath: "/x/birds/a.png", names: names), 2)
        // Byte-wise substring match, as strstr: case matters.
        XCTAssertThrowsError(try ClassifierAugment.label(forPath: "/x/Cat/a.png", names: names))
    }

    func testNoneOrSeveralMatchesNameThePath() {
        let names = ["cat", "dog", "bobcat"]
        for (path, fragment) in [("img/horse_1.jpg", "no class name"), ("img/bobcat_1.jpg", "'cat', 'bobcat'"), ("cat/dog.jpg", "2 class names")] {
            XCTAssertThrowsError(try ClassifierAugment.label(forPath: path, names: names)) { error in
                guard case let .data(p, _, message)? = error as? SwiftnetError else { return XCTFail("\(error)") }
                XCTAssertEqual(p, path)
                XCTAssertTrue(message.contains(fragment), message)
                XCTAssertTrue("\(error)".contains(path))
            }
        }
        XCTAssertThrowsError(try ClassifierAugment.label(forPath: "a/cat.jpg", names: ["cat", ""])) { XCTAssertTrue("\($0)".contains("empty")) }
    }

    func testSmoothedTargets() {
        let eps: Float = 0.1
        let t = ClassifierAugment.targets(classIndex: 2, classes: 5, labelSmoothEps: eps)
        XCTAssertEqual(t, [eps / 4, eps / 4, 1 - eps, eps / 4, eps / 4])
        XCTAssertEqual(t.reduce(0, +), 1, accuracy: 1e-6)
        XCTAssertEqual(ClassifierAugment.targets(classIndex: 0, classes: 3, labelSmoothEps: 0), [1, 0, 0])
        XCTAssertEqual(ClassifierAugment.targets(classIndex: 0, classes: 1, labelSmoothEps: 0.2), [0.8])
    }

    func testParametersFromCfg() throws {
        let text = """
        [net]
        width=224
        height=160
        channels=3
        angle=7
        aspect=.75
        max_crop=320
        cutmix=1
        mosaic=1
        blur=1
        label_smooth_eps=0.1

        [softmax]
        """
        let net = try NetworkConfig(text: text, path: "c.cfg").net
        let p = ClassifierAugmentParameters(net: net, classes: 10)
        XCTAssertEqual(p.minCrop, 224, "min_crop defaults to width")
        XCTAssertEqual(p.maxCrop, 320)
        XCTAssertEqual(p.mixingCode, 4)
        XCTAssertEqual(p.blurKernel, 15)
        XCTAssertEqual(p.labelSmoothEps, 0.1)
        XCTAssertEqual(p.angle, 7)
        XCTAssertNoThrow(try p.validate())
        var even = p
        even.blur = 4
        XCTAssertEqual(even.blurKernel, 5, "even kernels are made odd")
    }
}

final class ClassifierAugmentTests: XCTestCase {
    func testIdentityCropIsExact() {
        // Square 40×40 image, crop size 40 and r = 40: scale 1, no offset, every sample on a pixel centre.
        var image = RGBImage(width: 40, height: 40)
        for i in 0..<image.pixels.count { image.pixels[i] = UInt8(truncatingIfNeeded: i &* 37) }
        let params = ClassifierAugmentParameters(width: 40, height: 40, classes: 1, minCrop: 40, maxCrop: 40, flip: false)
        var rng = SeededRandom(seed: 1)
        let out = ClassifierAugment.augment(image: image, params: params, rng: &rng)
        XCTAssertEqual(out, image.toImage().mapExact())
    }

    func testZoomOutPadsWithZeros() {
        // r = 20 on a 40×40 image: scale ½, the 40×40 crop covers 80×80 source pixels, centred.
        let image = solid(0, width: 40, height: 40)
        let params = ClassifierAugmentParameters(width: 40, height: 40, classes: 1, minCrop: 20, maxCrop: 20, flip: false)
        var rng = SeededRandom(seed: 1)
        let out = ClassifierAugment.augment(image: image, params: params, rng: &rng)
        // Output x samples source 2x − 20: inside for x ∈ [10, 29]; x = 9 reaches −2 and −1 (both zero).
        XCTAssertEqual(out[9, 20, 0], 0)
        XCTAssertEqual(out[10, 20, 0], 1)
        XCTAssertEqual(out[29, 20, 0], 1)
        XCTAssertEqual(out[30, 20, 0], 0, "source 40 and 41 are outside")
        XCTAssertEqual(out[20, 5, 0], 0)
        XCTAssertEqual(out[20, 20, 1], 0)
    }

    func testPlanRanges() {
        let params = ClassifierAugmentParameters(width: 64, height: 48, classes: 2, angle: 10, aspect: 1.5, minCrop: 50, maxCrop: 90,
                                                 hue: 0.1, saturation: 1.5, exposure: 1.5)
        var rng = SeededRandom(seed: 2)
        var flips = 0
        var aspects = (lo: Float(9), hi: Float(0))
        for _ in 0..<2000 {
            let p = ClassifierAugment.drawPlan(imageWidth: 200, imageHeight: 100, params: params, rng: &rng)
            XCTAssertTrue(p.aspect >= 1 / 1.5 - 1e-6 && p.aspect <= 1.5 + 1e-6)
            aspects = (min(aspects.lo, p.aspect), max(aspects.hi, p.aspect))
            let m = Float(min(100, Int(200 * p.aspect)))
            let r = p.scale * m
            XCTAssertTrue(r >= 49.99 && r <= 90.01, "\(r)")
            XCTAssertLessThanOrEqual(abs(p.radians), 10 * .pi / 180 + 1e-6)
            XCTAssertLessThanOrEqual(abs(p.dx), max(0, (200 * p.scale / p.aspect - 64) / 2) + 1e-3)
            XCTAssertLessThanOrEqual(abs(p.dy), max(0, (100 * p.scale - 64) / 2) + 1e-3)
            XCTAssertLessThanOrEqual(abs(p.dhue), 0.1)
            if p.flip { flips += 1 }
        }
        XCTAssertTrue((900...1100).contains(flips))
        XCTAssertLessThan(aspects.lo, 0.7)
        XCTAssertGreaterThan(aspects.hi, 1.45)
    }

    func testFlipAndHueWrap() {
        // A left-to-right ramp mirrors under flip.
        var ramp = RGBImage(width: 8, height: 8)
        for y in 0..<8 { for x in 0..<8 { for c in 0..<3 { ramp.pixels[3 * (y * 8 + x) + c] = UInt8(30 * x) } } }
        let params = ClassifierAugmentParameters(width: 8, height: 8, classes: 1, minCrop: 8, maxCrop: 8, flip: true)
        var flipped = 0
        for seed: UInt64 in 0..<10 {
            var rng = SeededRandom(seed: seed), probe = rng
            let plan = ClassifierAugment.drawPlan(imageWidth: 8, imageHeight: 8, params: params, rng: &probe)
            let out = ClassifierAugment.augment(image: ramp, params: params, rng: &rng)
            let row = (0..<8).map { Int((out[$0, 3, 0] * 255).rounded()) }
            XCTAssertEqual(row, plan.flip ? (0..<8).reversed().map { 30 * $0 } : (0..<8).map { 30 * $0 })
            if plan.flip { flipped += 1 }
        }
        XCTAssertGreaterThan(flipped, 0)
        // Float HSV with wrap-around: green (H = 1/3) + 0.9 turns → 0.2333: sector 1, (1 − f, 1, 0) with f = 0.4.
        var green = Image(width: 1, height: 1, channels: 3, data: [0, 1, 0])
        ClassifierAugment.distort(&green, dhue: 0.9, dsat: 1, dexp: 1)
        XCTAssertEqual(green.data[0], 0.6, accuracy: 1e-5)
        XCTAssertEqual(green.data[1], 1, accuracy: 1e-6)
        XCTAssertEqual(green.data[2], 0, accuracy: 1e-6)
        // Negative wrap: red − 0.25 turns → 0.75 (violet: sector 4, (f, 0, 1) with f = 0.5).
        var red = Image(width: 1, height: 1, channels: 3, data: [1, 0, 0])
        ClassifierAugment.distort(&red, dhue: -0.25, dsat: 1, dexp: 1)
        assertClose(red.data, [0.5, 0, 1], accuracy: 1e-5)
        // Exposure clamps at 1, saturation scales the distance from V.
        var grey = Image(width: 1, height: 1, channels: 3, data: [0.8, 0.4, 0.4])
        ClassifierAugment.distort(&grey, dhue: 0, dsat: 0.5, dexp: 2)
        assertClose(grey.data, [1, 1, 1], accuracy: 1e-6)
        var muted = Image(width: 1, height: 1, channels: 3, data: [0.8, 0.4, 0.4])
        ClassifierAugment.distort(&muted, dhue: 0, dsat: 0.5, dexp: 1)
        assertClose(muted.data, [0.8, 0.6, 0.6], accuracy: 1e-6)
    }

    func testSingleSamplesCarrySmoothedTargets() throws {
        var rng = SeededRandom(seed: 4)
        for _ in 0..<20 {
            let s = try ClassifierAugment.sample(params: solidParams(eps: 0.2), rng: &rng, source: solidSource)
            XCTAssertEqual(s.layout, .single)
            XCTAssertEqual(s.targets, ClassifierAugment.targets(classIndex: s.sourceClasses[0], classes: 5, labelSmoothEps: 0.2))
            XCTAssertEqual(classAt(s.image, 16, 16), s.sourceClasses[0])
            XCTAssertEqual(classAt(s.image, 0, 0), s.sourceClasses[0], "the crop fills the output exactly")
            XCTAssertEqual(classAt(s.image, 31, 31), s.sourceClasses[0])
        }
    }

    func testCutMixPixelsAndTargets() throws {
        let eps: Float = 0.1
        var rng = SeededRandom(seed: 5)
        var mixed = 0
        for _ in 0..<60 {
            let s = try ClassifierAugment.sample(params: solidParams(cutmix: true, eps: eps), rng: &rng, source: solidSource)
            guard case let .cutmix(x, y, w, h) = s.layout else { XCTAssertEqual(s.layout, .single); continue }
            mixed += 1
            XCTAssertTrue((9...25).contains(w) && (9...25).contains(h), "\(w)×\(h)")   // rand_int(int(9.6), int(25.6))
            XCTAssertTrue(x >= 0 && x <= 32 - w - 1 && y >= 0 && y <= 32 - h - 1)
            XCTAssertEqual(s.sourceClasses.count, 2)
            let (a, b) = (s.sourceClasses[0], s.sourceClasses[1])
            for py in 0..<32 {
                for px in 0..<32 {
                    let inside = px >= x && px < x + w && py >= y && py < y + h
                    XCTAssertEqual(classAt(s.image, px, py), inside ? b : a)
                }
            }
            let ta = ClassifierAugment.targets(classIndex: a, classes: 5, labelSmoothEps: eps)
            let tb = ClassifierAugment.targets(classIndex: b, classes: 5, labelSmoothEps: eps)
            let alpha = Float(w * h) / Float(32 * 32)
            XCTAssertEqual(s.targets, zip(ta, tb).map { $0 * (1 - alpha) + $1 * alpha })
            XCTAssertEqual(s.targets.reduce(0, +), 1, accuracy: 1e-6)
            if a != b { XCTAssertEqual(s.targets[b] - eps / 4, alpha * (1 - eps - eps / 4), accuracy: 1e-6) }
        }
        XCTAssertTrue((18...42).contains(mixed), "\(mixed) of 60 mixed")
    }

    func testMixUpAveragesImagesAndTargets() throws {
        var rng = SeededRandom(seed: 6)
        var mixed = 0
        for _ in 0..<30 {
            let s = try ClassifierAugment.sample(params: solidParams(mixup: 1, eps: 0.05), rng: &rng, source: solidSource)
            guard s.layout == .mixup else { continue }
            mixed += 1
            let (a, b) = (s.sourceClasses[0], s.sourceClasses[1])
            for c in 0..<3 {
                let expected = (Float(classColours[a][c]) / 255 + Float(classColours[b][c]) / 255) / 2
                XCTAssertEqual(s.image[7, 9, c], expected, accuracy: 1e-6)
            }
            let ta = ClassifierAugment.targets(classIndex: a, classes: 5, labelSmoothEps: 0.05)
            let tb = ClassifierAugment.targets(classIndex: b, classes: 5, labelSmoothEps: 0.05)
            XCTAssertEqual(s.targets, zip(ta, tb).map { ($0 + $1) / 2 })
            XCTAssertEqual(s.targets.reduce(0, +), 1, accuracy: 1e-6)
        }
        XCTAssertGreaterThan(mixed, 5)
    }

    func testMosaicQuadrantsAndTargets() throws {
        var rng = SeededRandom(seed: 7)
        var mixed = 0
        for _ in 0..<30 {
            let s = try ClassifierAugment.sample(params: solidParams(mosaic: true, eps: 0.1), rng: &rng, source: solidSource)
            guard case let .mosaic(cx, cy) = s.layout else { continue }
            mixed += 1
            XCTAssertTrue((6...25).contains(cx) && (6...25).contains(cy))   // rand_int(int(6.4), int(25.6))
            XCTAssertEqual(s.sourceClasses.count, 4)
            for (px, py) in [(0, 0), (cx - 1, cy - 1), (cx, 0), (31, cy - 1), (0, cy), (cx - 1, 31), (cx, cy), (31, 31)] {
                let q = (px < cx ? 0 : 1) + (py < cy ? 0 : 2)
                XCTAssertEqual(classAt(s.image, px, py), s.sourceClasses[q], "(\(px), \(py))")
            }
            let t = s.sourceClasses.map { ClassifierAugment.targets(classIndex: $0, classes: 5, labelSmoothEps: 0.1) }
            let area = Float(32 * 32)
            let weights = [Float(cx * cy) / area, Float((32 - cx) * cy) / area, Float(cx * (32 - cy)) / area, Float((32 - cx) * (32 - cy)) / area]
            XCTAssertEqual(s.targets, (0..<5).map { j in t[0][j] * weights[0] + t[1][j] * weights[1] + t[2][j] * weights[2] + t[3][j] * weights[3] })
            XCTAssertEqual(s.targets.reduce(0, +), 1, accuracy: 1e-6)
        }
        XCTAssertGreaterThan(mixed, 5)
    }

    func testCode4PicksCutMixOrMosaicPerSample() throws {
        var rng = SeededRandom(seed: 8)
        var cut = 0, mosaic = 0, batchesMixed = 0
        for _ in 0..<10 {
            let batch = try ClassifierAugment.batch(count: 8, params: solidParams(cutmix: true, mosaic: true), rng: &rng, source: solidSource)
            let single = batch.filter { $0.layout == .single }.count
            XCTAssertTrue(single == 0 || single == 8, "one coin per call")
            if single == 0 { batchesMixed += 1 }
            for s in batch {
                if case .cutmix = s.layout { cut += 1 }
                if case .mosaic = s.layout { mosaic += 1 }
            }
        }
        XCTAssertGreaterThan(batchesMixed, 1)
        XCTAssertGreaterThan(cut, 4)
        XCTAssertGreaterThan(mosaic, 4)
    }

    func testBlurAQuarterOfTheImages() throws {
        var checker = RGBImage(width: 64, height: 64)
        for y in 0..<64 { for x in 0..<64 where (x / 4 + y / 4) % 2 == 0 { for c in 0..<3 { checker.pixels[3 * (y * 64 + x) + c] = 255 } } }
        let params = ClassifierAugmentParameters(width: 32, height: 32, classes: 1, minCrop: 32, maxCrop: 32, flip: false, blur: 1)
        var sharpParams = params
        sharpParams.blur = 0
        var rng = SeededRandom(seed: 9)
        var blurred = 0
        for _ in 0..<100 {
            var probe = rng
            let sharp = try ClassifierAugment.sample(params: sharpParams, rng: &probe) { _ in (checker, 0) }
            let s = try ClassifierAugment.sample(params: params, rng: &rng) { _ in (checker, 0) }
            if s.blurred {
                blurred += 1
                var expected = sharp.image
                AugmentFilters.gaussianBlur(&expected, kernel: 15)
                XCTAssertEqual(s.image, expected)
                XCTAssertNotEqual(s.image, sharp.image)
            } else {
                XCTAssertEqual(s.image, sharp.image)
            }
        }
        XCTAssertTrue((12...40).contains(blurred), "\(blurred) of 100 blurred")
    }

    func testBadClassIndexAndDeterminism() throws {
        var rng = SeededRandom(seed: 1)
        XCTAssertThrowsError(try ClassifierAugment.sample(params: solidParams(classes: 2), rng: &rng) { _ in (solid(0), 3) })
        var photo = RGBImage(width: 90, height: 70)
        for i in 0..<photo.pixels.count { photo.pixels[i] = UInt8(truncatingIfNeeded: (i * 7) ^ (i >> 5)) }
        let params = ClassifierAugmentParameters(width: 48, height: 40, classes: 3, angle: 15, aspect: 1.3, minCrop: 40, maxCrop: 80,
                                                 hue: 0.1, saturation: 1.5, exposure: 1.5, cutmix: true, mosaic: true, blur: 3, labelSmoothEps: 0.1)
        let source: ClassifierAugment.Source = { rng in (photo, rng.randomIndex(below: 3)) }
        var a = SeededRandom(seed: 11), b = SeededRandom(seed: 11), c = SeededRandom(seed: 12)
        let first = try ClassifierAugment.batch(count: 4, params: params, rng: &a, source: source)
        let second = try ClassifierAugment.batch(count: 4, params: params, rng: &b, source: source)
        let other = try ClassifierAugment.batch(count: 4, params: params, rng: &c, source: source)
        XCTAssertEqual(first, second)
        XCTAssertNotEqual(first.map(\.image), other.map(\.image))
        XCTAssertEqual(first[0].image.width, 48)
        XCTAssertEqual(first[0].image.height, 40)
        XCTAssertEqual(a.next(), b.next())
    }
}

private extension Image {
    /// The float image the augmentation reads from 8-bit pixels (`byte/255` in double precision).
    func mapExact() -> Image {
        var out = self
        out.data = data.map { Float(Double(($0 * 255).rounded()) / 255) }
        return out
    }
}

private func assertClose(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, "\(a) vs \(b)", file: file, line: line) }
}
