import SwiftnetCore
import SwiftnetFormat

/// darknet's combined batch-mixing code (`parser.c:parse_net_options`, spec §1.5).
public enum MixingCode {
    /// mosaic∧cutmix → 4, cutmix → 2, mosaic → 3, else the `mixup` value (so `mosaic`/`cutmix` override
    /// `mixup=1`).
    public static func combine(mixup: Int, cutmix: Bool, mosaic: Bool) -> Int {
        cutmix && mosaic ? 4 : cutmix ? 2 : mosaic ? 3 : mixup
    }
}

/// The batch mixing a detection cfg asks for (see ``AugmentParameters/detectionMixing()``).
public enum DetectionMixing: Equatable, Sendable {
    /// One augmented image per sample.
    case none
    /// `0.5·new + 0.5·old` of two augmented images, boxes of both.
    case mixup
    /// A rectangle of a second augmented image pasted into the first (swiftnet extension for detection).
    case cutmix
    /// Four augmented images in the quadrants around a random centre.
    case mosaic
}

/// How one sample was mixed, with the random geometry it used (pixels of the network input).
public enum MixLayout: Equatable, Sendable {
    /// A single augmented image (mixing off, or the per-call coin said no).
    case single
    /// Two images averaged.
    case mixup
    /// The second image's rectangle `[x, x+width) × [y, y+height)` pasted over the first.
    case cutmix(x: Int, y: Int, width: Int, height: Int)
    /// Quadrants split at column `cutX` and row `cutY`: 0 = `x < cutX, y < cutY`, 1 top-right, 2 bottom-left,
    /// 3 bottom-right.
    case mosaic(cutX: Int, cutY: Int)
}

/// The labels and mixing geometry of one detection sample.
public struct DetectionSampleInfo: Equatable, Sendable {
    /// The output labels, relative to the network input.
    public var labels: [LabelBox]
    /// The mixing used and its geometry.
    public var layout: MixLayout
    /// The labels of each source image after its own augmentation and before mixing, in the order the sources
    /// were drawn (1 for a single image, 2 for MixUp/CutMix, 4 for Mosaic — pass i fills quadrant i).
    public var sourceLabels: [[LabelBox]]
}

/// One augmented detection sample: the network input and its labels.
public struct DetectionSample: Equatable, Sendable {
    /// Float CHW, 3 channels, network size.
    public var image: Image
    /// Labels, mixing geometry and the per-source labels.
    public var info: DetectionSampleInfo
    /// The output labels.
    public var labels: [LabelBox] { info.labels }
}

/// darknet's detection batch mixing on top of ``DetectionAugment`` (`data.c:load_data_detection`, spec §5.3
/// steps 1, 4 and 5), plus CutMix as a swiftnet extension.
///
/// Every source image goes through the full per-image augmentation (crop/jitter, resize, flip, HSV, blur, noise)
/// to the network size first; mixing then combines the augmented images:
/// * **MixUp**: `0.5·second + 0.5·first` (in float); the second image's boxes are appended after the first's,
///   up to `[yolo] max`.
/// * **Mosaic**: centre `cut_x = rand_int(int(0.2w), int(0.8w))`, `cut_y` likewise; pass i's image (whose crop is
///   pushed to a corner with probability ½) fills quadrant i from a window offset by the crop padding; boxes are
///   shifted alike, their edges truncated to whole pixels, clipped to the canvas (or with `mosaic_bound=1` to
///   their quadrant) and kept when `0 < w, h < 1`, the centre lies in (0,1), `w > 1/net_w` and `h > 1/net_h`.
/// * **CutMix** (not in darknet's detector): `cut_w = rand_int(int(0.3w), int(0.8w))`, `cut_h` likewise, origin
///   `rand_int(0, w − cut_w − 1)` (as darknet's classifier CutMix); the second image's rectangle is pasted at the
///   same place. Box rules: ``cutMixLabels(base:pasted:patch:params:)``.
///
/// darknet flips one coin per loader call (a share of n images): with probability ½ nothing is mixed.
/// ``batch(count:params:rng:source:)`` reproduces that; ``sample(params:rng:source:)`` is a call of one.
public enum DetectionBatchAugment {
    /// Draws one training image and its label boxes at random (darknet draws uniformly with replacement from the
    /// training list, a fresh image for every pass).
    public typealias Source = (inout SeededRandom) throws -> (image: RGBImage, boxes: [LabelBox])

    /// Minimum fraction of a box's area that must stay visible after CutMix for its label to be kept.
    public static let cutMixMinimumVisibleFraction: Float = 0.3

    /// A ``Source`` drawing uniformly from in-memory images.
    public static func randomSource(_ items: [(image: RGBImage, boxes: [LabelBox])]) -> Source {
        precondition(!items.isEmpty, "randomSource needs at least one image")
        return { rng in items[rng.randomIndex(below: items.count)] }
    }

    /// The mixing of one loader call: the cfg's mode (errors as ``AugmentParameters/detectionMixing()``), then
    /// darknet's coin — with probability ½ no mixing at all. One draw.
    public static func drawMixing(params: AugmentParameters, rng: inout SeededRandom) throws -> DetectionMixing {
        let mode = try params.detectionMixing()
        return rng.randomBit() ? mode : .none
    }

    /// One sample (a loader call of one image): the coin of ``drawMixing(params:rng:)``, then
    /// ``sample(mixing:params:rng:source:)``.
    public static func sample(params: AugmentParameters, rng: inout SeededRandom, source: Source) throws -> DetectionSample {
        let mixing = try drawMixing(params: params, rng: &rng)
        return try sample(mixing: mixing, params: params, rng: &rng, source: source)
    }

    /// `count` samples sharing one coin, as one darknet loader thread's share.
    public static func batch(count: Int, params: AugmentParameters, rng: inout SeededRandom, source: Source) throws -> [DetectionSample] {
        let mixing = try drawMixing(params: params, rng: &rng)
        return try (0..<count).map { _ in try sample(mixing: mixing, params: params, rng: &rng, source: source) }
    }

    /// One sample with the given mixing (no coin), drawing 1, 2 or 4 source images.
    public static func sample(mixing: DetectionMixing, params: AugmentParameters, rng: inout SeededRandom,
                              source: Source) throws -> DetectionSample {
        let count = 3 * params.width * params.height
        var info: DetectionSampleInfo?
        var failure: Error?
        let data = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            do {
                info = try sample(mixing: mixing, params: params, rng: &rng, into: buffer, source: source)
            } catch {
                failure = error
                buffer.initialize(repeating: 0)
            }
            initialized = count
        }
        if let failure { throw failure }
        return DetectionSample(image: Image(width: params.width, height: params.height, channels: 3, data: data), info: info!)
    }

    /// ``sample(mixing:params:rng:source:)`` writing the float CHW pixels into `output` (`3·width·height` floats,
    /// e.g. one slot of a batch tensor).
    ///
    /// - Throws: what `source` throws; ``SwiftnetError/invalid(_:)`` for Mosaic with `letter_box=1`.
    public static func sample(mixing: DetectionMixing, params: AugmentParameters, rng: inout SeededRandom,
                              into output: UnsafeMutableBufferPointer<Float>, source: Source) throws -> DetectionSampleInfo {
        let w = params.width, h = params.height
        precondition(w > 0 && h > 0 && output.count >= 3 * w * h, "output buffer too small")
        let plane = w * h
        func pass(slot: Int? = nil) throws -> DetectionAugment.Pass {
            let (image, boxes) = try source(&rng)
            return DetectionAugment.augmentPass(image: image, boxes: boxes, params: params, mosaicSlot: slot, rng: &rng)
        }
        func write(_ pixels: [UInt8]) {
            pixels.withUnsafeBufferPointer { AugmentPixels.toPlanarFloat($0.baseAddress!, pixels: plane, into: output.baseAddress!) }
        }

        switch mixing {
        case .none:
            let first = try pass()
            write(first.pixels)
            return DetectionSampleInfo(labels: first.labels, layout: .single, sourceLabels: [first.labels])

        case .mixup:
            let first = try pass()
            write(first.pixels)
            let second = try pass()
            AugmentPixels.unitScale.withUnsafeBufferPointer { lut in
                second.pixels.withUnsafeBufferPointer { src in
                    let out = output.baseAddress!
                    for i in 0..<plane {
                        for c in 0..<3 {
                            let o = c * plane + i
                            out[o] = 0.5 * lut[Int(src[3 * i + c])] + 0.5 * out[o]
                        }
                    }
                }
            }
            let labels = first.labels + second.labels.prefix(max(0, params.maxBoxes - first.labels.count))
            return DetectionSampleInfo(labels: labels, layout: .mixup, sourceLabels: [first.labels, second.labels])

        case .cutmix:
            let cutW = rng.randInt(Int(Float(w) * 0.3), Int(Float(w) * 0.8))
            let cutH = rng.randInt(Int(Float(h) * 0.3), Int(Float(h) * 0.8))
            let cutX = rng.randInt(0, max(0, w - cutW - 1))
            let cutY = rng.randInt(0, max(0, h - cutH - 1))
            var first = try pass()
            let second = try pass()
            let patch = MixRect(x: cutX, y: cutY, width: cutW, height: cutH)
            for y in cutY..<(cutY + cutH) {
                let o = (y * w + cutX) * 3
                first.pixels.replaceSubrange(o..<(o + cutW * 3), with: second.pixels[o..<(o + cutW * 3)])
            }
            write(first.pixels)
            let labels = cutMixLabels(base: first.labels, pasted: second.labels, patch: patch, params: params)
            return DetectionSampleInfo(labels: labels, layout: .cutmix(x: cutX, y: cutY, width: cutW, height: cutH),
                                       sourceLabels: [first.labels, second.labels])

        case .mosaic:
            if params.letterBox { throw SwiftnetError.invalid(AugmentParameters.mosaicLetterBoxMessage) }
            let cutX = rng.randInt(Int(Float(w) * 0.2), Int(Float(w) * (1 - 0.2)))
            let cutY = rng.randInt(Int(Float(h) * 0.2), Int(Float(h) * (1 - 0.2)))
            var canvas = [UInt8](repeating: 0, count: plane * 3)
            var labels: [LabelBox] = []
            var sourceLabels: [[LabelBox]] = []
            for slot in 0..<4 {
                let p = try pass(slot: slot)
                let window = mosaicWindow(slot: slot, plan: p.plan, cutX: cutX, cutY: cutY, width: w, height: h)
                canvas.withUnsafeMutableBufferPointer { dst in
                    p.pixels.withUnsafeBufferPointer { src in
                        for row in 0..<window.quadrant.height {
                            let d = ((window.quadrant.y + row) * w + window.quadrant.x) * 3
                            let s = ((window.sourceY + row) * w + window.sourceX) * 3
                            (dst.baseAddress! + d).update(from: src.baseAddress! + s, count: window.quadrant.width * 3)
                        }
                    }
                }
                labels += mosaicLabels(p.labels, window: window, params: params, room: params.maxBoxes - labels.count)
                sourceLabels.append(p.labels)
            }
            write(canvas)
            return DetectionSampleInfo(labels: labels, layout: .mosaic(cutX: cutX, cutY: cutY), sourceLabels: sourceLabels)
        }
    }

    // MARK: - Mosaic geometry

    /// Where one pass lands in the mosaic: its quadrant on the canvas and the top-left of the source window.
    public struct MosaicWindow: Equatable, Sendable {
        /// The quadrant in canvas pixels.
        public var quadrant: MixRect
        /// The source pixel copied to the quadrant's top-left corner.
        public var sourceX: Int
        public var sourceY: Int

        /// Creates a window from its quadrant and source origin.
        public init(quadrant: MixRect, sourceX: Int, sourceY: Int) {
            self.quadrant = quadrant
            self.sourceX = sourceX
            self.sourceY = sourceY
        }
    }

    /// darknet's mosaic window for pass `slot`: with the crop padding in network pixels
    /// `ls = min(cut_x, max(0, −pleft·w / ow))`, `ts`, `rs`, `bs` likewise (pleft/pright swapped when flipped;
    /// int division as in C — note it scales by the image width, not the crop width), quadrants 0/2 take source
    /// columns from `w − cut_x − rs` and 1/3 from `ls`; quadrants 0/1 take rows from `h − cut_y − bs` and 2/3
    /// from `ts`.
    public static func mosaicWindow(slot: Int, plan: AugmentPlan, cutX: Int, cutY: Int, width w: Int, height h: Int) -> MosaicWindow {
        let (pleft, pright) = plan.flip ? (plan.pright, plan.pleft) : (plan.pleft, plan.pright)
        let ow = plan.imageWidth, oh = plan.imageHeight
        let ls = min(cutX, max(0, -pleft * w / ow))
        let ts = min(cutY, max(0, -plan.ptop * h / oh))
        let rs = min(w - cutX, max(0, -pright * w / ow))
        let bs = min(h - cutY, max(0, -plan.pbot * h / oh))
        let left = slot % 2 == 0, top = slot < 2
        let quadrant = MixRect(x: left ? 0 : cutX, y: top ? 0 : cutY,
                               width: left ? cutX : w - cutX, height: top ? cutY : h - cutY)
        return MosaicWindow(quadrant: quadrant, sourceX: left ? w - cutX - rs : ls, sourceY: top ? h - cutY - bs : ts)
    }

    /// The labels of one mosaic pass on the canvas (`data.c:blend_truth_mosaic`): each box shifted by the
    /// window offset, its edges truncated to whole pixels, clipped to its quadrant when `mosaicBound` and to the
    /// canvas, then kept when `0 < x, y < 1`, `0 < w, h < 1`, `w > 1/width` and `h > 1/height`; at most `room`.
    public static func mosaicLabels(_ boxes: [LabelBox], window: MosaicWindow, params: AugmentParameters, room: Int) -> [LabelBox] {
        let w = params.width, h = params.height
        let fw = Float(w), fh = Float(h)
        let shiftX = Float(window.quadrant.x - window.sourceX) / fw
        let shiftY = Float(window.quadrant.y - window.sourceY) / fh
        let lowestW = 1 / fw, lowestH = 1 / fh
        let q = window.quadrant
        var out: [LabelBox] = []
        for b in boxes {
            guard out.count < room else { break }
            let x = b.x + shiftX, y = b.y + shiftY
            var left = DetectionAugment.truncated((x - b.w / 2) * fw)
            var right = DetectionAugment.truncated((x + b.w / 2) * fw)
            var top = DetectionAugment.truncated((y - b.h / 2) * fh)
            var bottom = DetectionAugment.truncated((y + b.h / 2) * fh)
            if params.mosaicBound {
                left = max(left, q.x); right = min(right, q.x + q.width)
                top = max(top, q.y); bottom = min(bottom, q.y + q.height)
            }
            left = max(left, 0); right = min(right, w)
            top = max(top, 0); bottom = min(bottom, h)
            let nx = Float(right + left) / 2 / fw, nw = Float(right - left) / fw
            let ny = Float(bottom + top) / 2 / fh, nh = Float(bottom - top) / fh
            guard nx > 0, ny > 0, nx < 1, ny < 1, nw > 0, nh > 0, nw < 1, nh < 1, nw > lowestW, nh > lowestH else { continue }
            out.append(LabelBox(classID: b.classID, x: nx, y: ny, w: nw, h: nh))
        }
        return out
    }

    // MARK: - CutMix geometry

    /// The labels after CutMix (swiftnet's rule; darknet has no detection CutMix). In network pixels, with
    /// `patch` the pasted rectangle:
    /// * a **base** box (first image) is dropped when less than ``cutMixMinimumVisibleFraction`` of its area
    ///   remains outside the patch; otherwise it becomes the bounding box of its visible part — trimmed only where
    ///   the patch spans the box's whole height (trimming the left or right) or whole width (top or bottom), where
    ///   strips of the box up to half a pixel wide beside the patch count as covered (they do not show in the
    ///   pixels); a patch over a corner or the middle leaves the box as it was;
    /// * a **pasted** box (second image) is clipped to the patch and kept when at least
    ///   ``cutMixMinimumVisibleFraction`` of its area lies inside;
    /// * both then pass darknet's size filter (`w ≥ 1/net_w`, `h ≥ 1/net_h`, centre in (0,1]). Base boxes come
    ///   first, then pasted ones, at most `[yolo] max` in all.
    public static func cutMixLabels(base: [LabelBox], pasted: [LabelBox], patch: MixRect, params: AugmentParameters) -> [LabelBox] {
        let fw = Float(params.width), fh = Float(params.height)
        let pl = Float(patch.x), pt = Float(patch.y)
        let pr = Float(patch.x + patch.width), pb = Float(patch.y + patch.height)
        let minimum = cutMixMinimumVisibleFraction
        var out: [LabelBox] = []

        func append(_ classID: Int, _ l: Float, _ t: Float, _ r: Float, _ b: Float) {
            guard out.count < params.maxBoxes else { return }
            let w = (r - l) / fw, h = (b - t) / fh
            let x = (l + r) / 2 / fw, y = (t + b) / 2 / fh
            guard w >= 1 / fw, h >= 1 / fh, x > 0, x <= 1, y > 0, y <= 1 else { return }
            out.append(LabelBox(classID: classID, x: x, y: y, w: min(w, 1), h: min(h, 1)))
        }

        for box in base {
            var l = (box.x - box.w / 2) * fw, r = (box.x + box.w / 2) * fw
            var t = (box.y - box.h / 2) * fh, b = (box.y + box.h / 2) * fh
            let area = (r - l) * (b - t)
            guard area > 0 else { continue }
            let covered = max(0, min(r, pr) - max(l, pl)) * max(0, min(b, pb) - max(t, pt))
            guard area - covered >= minimum * area else { continue }
            // Strips of the box up to half a pixel wide beside the patch do not show, so they count as covered.
            if pt <= t + 0.5 && pb >= b - 0.5 {
                if pl <= l + 0.5 && pr > l { l = pr }
                if pr >= r - 0.5 && pl < r { r = pl }
            }
            if pl <= l + 0.5 && pr >= r - 0.5 {
                if pt <= t + 0.5 && pb > t { t = pb }
                if pb >= b - 0.5 && pt < b { b = pt }
            }
            append(box.classID, l, t, r, b)
        }
        for box in pasted {
            let l = (box.x - box.w / 2) * fw, r = (box.x + box.w / 2) * fw
            let t = (box.y - box.h / 2) * fh, b = (box.y + box.h / 2) * fh
            let area = (r - l) * (b - t)
            guard area > 0 else { continue }
            let cl = max(l, pl), cr = min(r, pr), ct = max(t, pt), cb = min(b, pb)
            guard cr > cl, cb > ct, (cr - cl) * (cb - ct) >= minimum * area else { continue }
            append(box.classID, cl, ct, cr, cb)
        }
        return out
    }
}

/// An integer pixel rectangle `[x, x+width) × [y, y+height)`.
public struct MixRect: Equatable, Sendable {
    /// Left column and top row.
    public var x: Int
    public var y: Int
    /// Size in pixels.
    public var width: Int
    public var height: Int

    /// Creates a rectangle from its top-left corner and size.
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
}
