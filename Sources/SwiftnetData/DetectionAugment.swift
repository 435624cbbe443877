import SwiftnetCore
import SwiftnetFormat

/// The augmentation knobs of a detection cfg (spec §5.3): `[net]` flip/hue/saturation/exposure/letter_box/blur/
/// gaussian_noise/mixup/cutmix/mosaic/mosaic_bound, the last `[yolo]`'s jitter/resize/max/classes, and the current
/// network size.
public struct AugmentParameters: Equatable, Sendable {
    /// Network input width and height (the size of the augmented image; changes with multi-scale training).
    public var width: Int
    public var height: Int
    /// `[yolo] jitter`: each crop edge moves by up to ±jitter·side.
    public var jitter: Float
    /// `[yolo] resize`: extra random zoom range (1 = none; < 1 zooms out only).
    public var resize: Float
    /// `[net] flip`: random horizontal flips.
    public var flip: Bool
    /// `[net] hue`, `saturation`, `exposure`: HSV jitter ranges (hue in turns, the others as `rand_scale` factors).
    public var hue: Float
    public var saturation: Float
    public var exposure: Float
    /// `[net] letter_box`: grow the crop to the network's aspect ratio (padding with the image's mean colour).
    public var letterBox: Bool
    /// `[net] blur`: per image a random mode — none, background blur (17×17 Gaussian outside the truth boxes), or
    /// this level (a whole-image Gaussian of kernel `2·(blur/2)+1`; `blur=1` means background blur in both modes).
    public var blur: Int
    /// `[net] gaussian_noise`: with probability ½ per image, non-negative Gaussian noise of σ = min(value, 127).
    public var gaussianNoise: Int
    /// `[yolo] max`: boxes kept per image (after the random permutation, before filtering).
    public var maxBoxes: Int
    /// `[yolo] classes`: boxes with a class id at or above it are dropped.
    public var classes: Int
    /// `[net] mixup`, `cutmix`, `mosaic`: combined into darknet's mixing code (``mixingCode``, spec §1.5).
    public var mixup: Int
    public var cutmix: Bool
    public var mosaic: Bool
    /// `[net] mosaic_bound`: clip mosaic boxes to their own quadrant instead of only to the canvas.
    public var mosaicBound: Bool

    /// Creates parameters; the defaults are darknet's cfg defaults.
    public init(width: Int, height: Int, classes: Int, jitter: Float = 0.2, resize: Float = 1, flip: Bool = true,
                hue: Float = 0, saturation: Float = 1, exposure: Float = 1, letterBox: Bool = false,
                blur: Int = 0, gaussianNoise: Int = 0, maxBoxes: Int = 200, mixup: Int = 0, cutmix: Bool = false,
                mosaic: Bool = false, mosaicBound: Bool = false) {
        self.width = width
        self.height = height
        self.classes = classes
        self.jitter = jitter
        self.resize = resize
        self.flip = flip
        self.hue = hue
        self.saturation = saturation
        self.exposure = exposure
        self.letterBox = letterBox
        self.blur = blur
        self.gaussianNoise = gaussianNoise
        self.maxBoxes = maxBoxes
        self.mixup = mixup
        self.cutmix = cutmix
        self.mosaic = mosaic
        self.mosaicBound = mosaicBound
    }

    /// Takes the knobs from the `[net]` section and the last `[yolo]` layer, at the cfg's network size.
    public init(net: NetConfig, lastYolo yolo: YoloConfig) {
        self.init(width: net.width, height: net.height, classes: yolo.classes, jitter: yolo.jitter,
                  resize: yolo.resize, flip: net.flip, hue: net.hue, saturation: net.saturation,
                  exposure: net.exposure, letterBox: net.letterBox, blur: net.blur,
                  gaussianNoise: net.gaussianNoise, maxBoxes: yolo.maxBoxes, mixup: net.mixup, cutmix: net.cutmix,
                  mosaic: net.mosaic, mosaicBound: net.mosaicBound)
    }

    /// Takes the knobs from a parsed cfg: `[net]` and its last `[yolo]` layer.
    ///
    /// - Throws: ``SwiftnetError/invalid(_:)`` when the cfg has no `[yolo]` layer.
    public init(network: NetworkConfig) throws {
        guard let yolo = network.layers.reversed().lazy.compactMap({ spec -> YoloConfig? in
            if case let .yolo(y) = spec.config { return y }
            return nil
        }).first else {
            throw SwiftnetError.invalid("\(network.path): detection training needs a [yolo] layer")
        }
        self.init(net: network.net, lastYolo: yolo)
    }

    /// darknet's mixing code (spec §1.5): mosaic∧cutmix → 4, cutmix → 2, mosaic → 3, else the `mixup` value.
    public var mixingCode: Int { MixingCode.combine(mixup: mixup, cutmix: cutmix, mosaic: mosaic) }

    /// The batch mixing a detection training run uses when the per-call coin allows it (spec §5.3 step 1): code 1
    /// MixUp, 3 and 4 Mosaic, 2 CutMix — **a swiftnet extension**: darknet disables `cutmix=1` for detection with
    /// the message `cutmix=1 - isn't supported for DetectionPipeline`, swiftnet pastes a rectangle from a second image
    /// (``DetectionBatchAugment``).
    ///
    /// - Throws: ``SwiftnetError/invalid(_:)`` for mosaic together with `letter_box=1` (fatal in darknet too) and
    ///   for a mixing code outside 0…4.
    public func detectionMixing() throws -> DetectionMixing {
        switch mixingCode {
        case 0: return .none
        case 1: return .mixup
        case 2: return .cutmix
        case 3, 4:
            guard !letterBox else { throw SwiftnetError.invalid(Self.mosaicLetterBoxMessage) }
            return .mosaic
        default:
            throw SwiftnetError.invalid("mixup=\(mixup) is not a mixing mode (0 off, 1 MixUp, or use cutmix=1 / mosaic=1)")
        }
    }

    static let mosaicLetterBoxMessage = "mosaic=1 together with letter_box=1 is not supported (darknet: \"Combination: letter_box=1 & mosaic=1 - isn't supported\"); set one of them to 0"

    /// Checks the values augmentation relies on (positive sizes and resize, finite ranges, a valid mixing mode —
    /// mosaic with `letter_box=1` is rejected, as darknet rejects it).
    public func validate() throws {
        _ = try detectionMixing()
        guard blur >= 0, gaussianNoise >= 0 else { throw SwiftnetError.invalid("blur and gaussian_noise must be ≥ 0") }
        guard width > 0, height > 0 else { throw SwiftnetError.invalid("augmentation needs a positive network size (got \(width)×\(height))") }
        guard classes > 0 else { throw SwiftnetError.invalid("augmentation needs classes ≥ 1 (got \(classes))") }
        guard jitter.isFinite, jitter >= 0 else { throw SwiftnetError.invalid("jitter=\(jitter) must be a finite number ≥ 0") }
        guard resize.isFinite, resize > 0 else { throw SwiftnetError.invalid("resize=\(resize) must be a finite number > 0") }
        for (name, v) in [("hue", hue), ("saturation", saturation), ("exposure", exposure)] where !v.isFinite {
            throw SwiftnetError.invalid("\(name)=\(v) must be finite")
        }
        guard saturation > 0, exposure > 0 else { throw SwiftnetError.invalid("saturation and exposure must be > 0") }
    }
}

/// The random choices for one image: the crop rectangle (which may extend past the image), flip and HSV factors.
public struct AugmentPlan: Equatable, Sendable {
    /// Crop offsets from each image edge, in pixels; negative values extend the crop beyond the image.
    public var pleft: Int
    public var pright: Int
    public var ptop: Int
    public var pbot: Int
    /// Horizontal flip.
    public var flip: Bool
    /// Hue shift in turns (added as `179·dhue` to OpenCV's 8-bit H) and the saturation/value factors.
    public var dhue: Float
    public var dsat: Float
    public var dexp: Float
    /// darknet's blur mode draw (0 none, 1 background blur, 2 the cfg's blur level); see ``blurLevel(_:)``.
    public var blurMode: Int
    /// darknet's gaussian-noise coin.
    public var gaussianNoise: Bool
    /// The original image size the offsets refer to.
    public var imageWidth: Int
    public var imageHeight: Int

    /// Creates a plan from explicit choices (normally made by ``DetectionAugment/drawPlan(imageWidth:imageHeight:params:rng:)``).
    public init(pleft: Int, pright: Int, ptop: Int, pbot: Int, flip: Bool, dhue: Float, dsat: Float, dexp: Float,
                blurMode: Int, gaussianNoise: Bool, imageWidth: Int, imageHeight: Int) {
        self.pleft = pleft
        self.pright = pright
        self.ptop = ptop
        self.pbot = pbot
        self.flip = flip
        self.dhue = dhue
        self.dsat = dsat
        self.dexp = dexp
        self.blurMode = blurMode
        self.gaussianNoise = gaussianNoise
        self.imageWidth = imageWidth
        self.imageHeight = imageHeight
    }

    /// Crop size: `ow − pleft − pright` by `oh − ptop − pbot`.
    public var cropWidth: Int { imageWidth - pleft - pright }
    public var cropHeight: Int { imageHeight - ptop - pbot }
    /// Whether the HSV stage runs (darknet skips it when all three factors are neutral).
    public var adjustsColour: Bool { dsat != 1 || dexp != 1 || dhue != 0 }

    /// The blur level of this image for the cfg value `blur`: 0 none, 1 background blur, b > 1 whole-image blur
    /// (before the reduction by the smallest box, ``DetectionAugment/effectiveBlur(level:labels:width:height:)``).
    public func blurLevel(_ blur: Int) -> Int {
        switch blurMode {
        case 0: return 0
        case 1: return 1
        default: return blur
        }
    }
}

/// darknet's per-image detection training augmentation (`data.c:load_data_detection`,
/// `image_opencv.cpp:image_data_augmentation`, OpenCV build; spec §5.3 step 3 and the truth filtering of §5.1).
/// Batch mixing (MixUp, CutMix, Mosaic) builds on it in ``DetectionBatchAugment``.
public enum DetectionAugment {
    /// Augments one image and its labels: random crop (jitter/resize/letter_box, outside filled with the image's
    /// mean colour), INTER_LINEAR resize to the network size, random flip, OpenCV 8-bit HSV jitter, random blur and
    /// Gaussian noise, `/255` to float CHW; the labels follow the crop and flip and pass darknet's truth filtering.
    ///
    /// All randomness comes from `rng`, in a fixed order (crop and colour draws, then the box permutation, then
    /// the noise), so a seed reproduces a sample. The output always has 3 channels (networks with `channels=1`
    /// are not handled). The mixing options of `params` are ignored here.
    public static func augment(image: RGBImage, boxes: [LabelBox], params: AugmentParameters,
                               rng: inout SeededRandom) -> (Image, [LabelBox]) {
        let count = params.width * params.height * 3
        var labels: [LabelBox] = []
        // Every element is written by render, so the buffer need not be zeroed first.
        let data = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            labels = augment(image: image, boxes: boxes, params: params, rng: &rng, into: buffer)
            initialized = count
        }
        return (Image(width: params.width, height: params.height, channels: 3, data: data), labels)
    }

    /// ``augment(image:boxes:params:rng:)`` writing the float CHW pixels into `output` (`3·width·height` floats,
    /// e.g. one slot of a batch tensor), returning the labels.
    public static func augment(image: RGBImage, boxes: [LabelBox], params: AugmentParameters,
                               rng: inout SeededRandom, into output: UnsafeMutableBufferPointer<Float>) -> [LabelBox] {
        precondition(output.count >= 3 * params.width * params.height, "output buffer too small")
        let pass = augmentPass(image: image, boxes: boxes, params: params, mosaicSlot: nil, rng: &rng)
        pass.pixels.withUnsafeBufferPointer {
            AugmentPixels.toPlanarFloat($0.baseAddress!, pixels: params.width * params.height, into: output.baseAddress!)
        }
        return pass.labels
    }

    /// One augmented image as 8-bit interleaved RGB at the network size, with its labels and the plan it used.
    struct Pass {
        var pixels: [UInt8]
        var labels: [LabelBox]
        var plan: AugmentPlan
    }

    /// The whole per-image pipeline on bytes: plan (with the mosaic push when `mosaicSlot` is set), truth, crop and
    /// resize, flip, HSV, blur, noise.
    static func augmentPass(image: RGBImage, boxes: [LabelBox], params: AugmentParameters, mosaicSlot: Int?,
                            rng: inout SeededRandom) -> Pass {
        let plan = drawPlan(imageWidth: image.width, imageHeight: image.height, params: params, mosaicSlot: mosaicSlot, rng: &rng)
        let labels = fillTruth(boxes, plan: plan, imageWidth: image.width, imageHeight: image.height, params: params, rng: &rng)
        let w = params.width, h = params.height
        var pixels = [UInt8](unsafeUninitializedCapacity: w * h * 3) { $1 = w * h * 3 }   // fully written by the resize
        pixels.withUnsafeMutableBufferPointer { dst in
            renderBytes(image: image, plan: plan, width: w, height: h, into: dst.baseAddress!)
            let level = effectiveBlur(level: plan.blurLevel(params.blur), labels: labels, width: w, height: h)
            if level == 1 {
                AugmentFilters.backgroundBlur(dst.baseAddress!, width: w, height: h, keeping: labels)
            } else if level > 1 {
                AugmentFilters.gaussianBlur(dst.baseAddress!, width: w, height: h, kernel: 2 * (level / 2) + 1)
            }
            if plan.gaussianNoise {
                AugmentFilters.addGaussianNoise(dst.baseAddress!, count: w * h * 3, sigma: min(params.gaussianNoise, 127), rng: &rng)
            }
        }
        return Pass(pixels: pixels, labels: labels, plan: plan)
    }

    /// The blur actually applied for a drawn `level` (``AugmentPlan/blurLevel(_:)``): darknet lowers a level above
    /// 1 to `min_box_side/8` (in network pixels, int division) when that is smaller, so small objects stay
    /// recognisable. A level lowered to 1 becomes the background blur and one lowered to 0 none — darknet's quirk,
    /// kept. Without labels the level is not lowered.
    public static func effectiveBlur(level: Int, labels: [LabelBox], width: Int, height: Int) -> Int {
        guard level > 1, !labels.isEmpty else { return level }
        var side = Float.greatestFiniteMagnitude
        for b in labels { side = min(side, b.w * Float(width), b.h * Float(height)) }
        let reduced = truncated(side) / 8
        return reduced < level ? reduced : level
    }

    // MARK: - Random choices

    /// Draws the crop, flip and colour factors for an `ow`×`oh` image, as darknet does (in its order):
    /// `resize_r1, resize_r2, r1…r4`, flip, `dhue`, `dsat`, `dexp`, blur mode, noise coin.
    public static func drawPlan(imageWidth ow: Int, imageHeight oh: Int, params: AugmentParameters,
                                rng: inout SeededRandom) -> AugmentPlan {
        drawPlan(imageWidth: ow, imageHeight: oh, params: params, mosaicSlot: nil, rng: &rng)
    }

    /// ``drawPlan(imageWidth:imageHeight:params:rng:)`` for mosaic pass `mosaicSlot` (0 top-left, 1 top-right,
    /// 2 bottom-left, 3 bottom-right): with probability ½ (one more draw) the crop is pushed against one corner —
    /// the whole horizontal and vertical crop margin moved to the side facing the mosaic centre, mirrored when
    /// flipped (spec §5.3).
    public static func drawPlan(imageWidth ow: Int, imageHeight oh: Int, params: AugmentParameters, mosaicSlot: Int?,
                                rng: inout SeededRandom) -> AugmentPlan {
        let fow = Float(ow), foh = Float(oh)
        let dw = truncated(fow * params.jitter)
        let dh = truncated(foh * params.jitter)
        let resizeDown = params.resize > 1 ? 1 / params.resize : params.resize
        let resizeUp = params.resize < 1 ? 1 / params.resize : params.resize
        let minRdw = truncated(fow * (1 - 1 / resizeDown) / 2)    // ≤ 0
        let minRdh = truncated(foh * (1 - 1 / resizeDown) / 2)
        let maxRdw = truncated(fow * (1 - 1 / resizeUp) / 2)      // ≥ 0
        let maxRdh = truncated(foh * (1 - 1 / resizeUp) / 2)

        let resizeR1 = rng.randomFloat(), resizeR2 = rng.randomFloat()
        let r1 = rng.randomFloat(), r2 = rng.randomFloat(), r3 = rng.randomFloat(), r4 = rng.randomFloat()
        let flip = params.flip ? rng.randomBit() : false
        let dhue = rng.randUniformStrong(-params.hue, params.hue)
        let dsat = rng.randScale(params.saturation)
        let dexp = rng.randScale(params.exposure)
        var blurMode = 0
        if params.blur != 0 { blurMode = rng.randInt(0, 2) }
        let noise = params.gaussianNoise != 0 && rng.randInt(0, 1) == 1

        let precalc = SeededRandom.randPrecalcRandom
        var pleft = truncated(precalc(Float(-dw), Float(dw), r1))
        var pright = truncated(precalc(Float(-dw), Float(dw), r2))
        var ptop = truncated(precalc(Float(-dh), Float(dh), r3))
        var pbot = truncated(precalc(Float(-dh), Float(dh), r4))

        // darknet writes `pleft += <float>`: C adds in float and truncates the sum, which is not the same as
        // adding a truncated term (5 + (−2.5) → 2, not 3).
        let maxW = params.resize < 1 ? 0 : maxRdw, maxH = params.resize < 1 ? 0 : maxRdh
        pleft = truncated(Float(pleft) + precalc(Float(minRdw), Float(maxW), resizeR1))
        pright = truncated(Float(pright) + precalc(Float(minRdw), Float(maxW), resizeR2))
        ptop = truncated(Float(ptop) + precalc(Float(minRdh), Float(maxH), resizeR1))
        pbot = truncated(Float(pbot) + precalc(Float(minRdh), Float(maxH), resizeR2))

        if params.letterBox {
            let netAR = Float(params.width) / Float(params.height)
            if (fow / foh) / netAR > 1 {
                let deltaH = (fow / netAR - foh) / 2
                ptop = truncated(Float(ptop) - deltaH)
                pbot = truncated(Float(pbot) - deltaH)
            } else {
                let deltaW = (foh * netAR - fow) / 2
                pleft = truncated(Float(pleft) - deltaW)
                pright = truncated(Float(pright) - deltaW)
            }
        }

        if let slot = mosaicSlot, rng.randomBit() {
            // Slots 0/2 (left column) zero pleft, 1/3 zero pright; flipping mirrors the horizontal choice. Slots
            // 0/1 (top row) zero ptop, 2/3 zero pbot.
            let zeroLeft = (slot % 2 == 0) != flip
            if zeroLeft { pright += pleft; pleft = 0 } else { pleft += pright; pright = 0 }
            if slot < 2 { pbot += ptop; ptop = 0 } else { ptop += pbot; pbot = 0 }
        }

        // An empty crop (possible with large jitter/resize) falls back to the whole image (spec §5.3).
        if ow - pleft - pright <= 0 || oh - ptop - pbot <= 0 || ow - pleft <= 0 || oh - ptop <= 0 {
            pleft = 0; pright = 0; ptop = 0; pbot = 0
        }
        return AugmentPlan(pleft: pleft, pright: pright, ptop: ptop, pbot: pbot, flip: flip, dhue: dhue, dsat: dsat,
                           dexp: dexp, blurMode: blurMode, gaussianNoise: noise, imageWidth: ow, imageHeight: oh)
    }

    /// C's float → int conversion (truncation toward zero), made total: NaN → 0, huge values clamped.
    @inline(__always) static func truncated(_ v: Float) -> Int {
        guard v.isFinite else { return v.isNaN ? 0 : (v > 0 ? 1 << 30 : -(1 << 30)) }
        return Int(max(-1e9, min(1e9, v)))
    }

    // MARK: - Labels

    /// The label half of the augmentation (`data.c:fill_truth_detection` with `randomize_boxes` and
    /// `correct_boxes`): permute the file's boxes, map their edges into the crop, mirror when flipped, clamp to
    /// [0,1], keep the first `maxBoxes`, then drop boxes whose class is ≥ `classes`, whose width or height is below
    /// one network pixel, whose centre is outside (0,1], or that were invalid in the file (`x = y = 0`, or lying
    /// entirely outside the image). Widths/heights above 1 are clamped.
    public static func fillTruth(_ boxes: [LabelBox], plan: AugmentPlan, imageWidth ow: Int, imageHeight oh: Int,
                                 params: AugmentParameters, rng: inout SeededRandom) -> [LabelBox] {
        var boxes = boxes
        let n = boxes.count
        for i in 0..<n { boxes.swapAt(i, rng.randomIndex(below: n)) }

        let swidth = ow - plan.pleft - plan.pright
        let sheight = oh - plan.ptop - plan.pbot
        let sx = Float(swidth) / Float(ow)
        let sy = Float(sheight) / Float(oh)
        let dx = (Float(plan.pleft) / Float(ow)) / sx
        let dy = (Float(plan.ptop) / Float(oh)) / sy
        let isx = Float(1.0 / Double(sx)), isy = Float(1.0 / Double(sy))
        let lowestW = 1 / Float(params.width), lowestH = 1 / Float(params.height)

        var out: [LabelBox] = []
        out.reserveCapacity(min(n, params.maxBoxes))
        for b in boxes.prefix(max(0, params.maxBoxes)) {
            guard b.classID < params.classes else { continue }
            // correct_boxes: invalid file boxes never survive (darknet marks them 999999 and filters them later).
            if b.x == 0 && b.y == 0 { continue }
            if b.x + b.w / 2 < 0 || b.y + b.h / 2 < 0 || b.x - b.w / 2 > 1 || b.y - b.h / 2 > 1 { continue }
            var left = (b.x - b.w / 2) * isx - dx
            var right = (b.x + b.w / 2) * isx - dx
            let top = (b.y - b.h / 2) * isy - dy
            let bottom = (b.y + b.h / 2) * isy - dy
            if plan.flip { (left, right) = (1 - right, 1 - left) }
            let l = clamp01(left), r = clamp01(right), t = clamp01(top), bt = clamp01(bottom)
            let x = (l + r) / 2, y = (t + bt) / 2
            var w = clamp01(r - l), h = clamp01(bt - t)
            if w < lowestW || h < lowestH { continue }
            if x <= 0 || x > 1 || y <= 0 || y > 1 { continue }
            w = min(w, 1)
            h = min(h, 1)
            out.append(LabelBox(classID: b.classID, x: x, y: y, w: w, h: h))
        }
        return out
    }

    @inline(__always) static func clamp01(_ v: Float) -> Float { v < 0 ? 0 : (v > 1 ? 1 : v) }

    // MARK: - Pixels

    /// The pixel half without blur and noise (which need the labels and more random draws): crop (mean-colour fill
    /// outside the image), INTER_LINEAR resize to `width`×`height`, flip, HSV jitter when the plan's factors are not
    /// neutral, then `/255` into planar float CHW (`output` holds `3·width·height` floats).
    public static func render(image: RGBImage, plan: AugmentPlan, width: Int, height: Int,
                              into output: UnsafeMutableBufferPointer<Float>) {
        precondition(output.count >= 3 * width * height, "output buffer too small")
        var sized = [UInt8](unsafeUninitializedCapacity: width * height * 3) { $1 = width * height * 3 }   // fully written by the resize
        sized.withUnsafeMutableBufferPointer { dst in
            renderBytes(image: image, plan: plan, width: width, height: height, into: dst.baseAddress!)
            AugmentPixels.toPlanarFloat(UnsafePointer(dst.baseAddress!), pixels: width * height, into: output.baseAddress!)
        }
    }

    /// Crop, resize, flip and HSV into interleaved RGB bytes (`3·width·height`).
    static func renderBytes(image: RGBImage, plan: AugmentPlan, width: Int, height: Int, into dst: UnsafeMutablePointer<UInt8>) {
        precondition(image.width == plan.imageWidth && image.height == plan.imageHeight, "plan drawn for another image size")
        let crop = PixelRect(x: plan.pleft, y: plan.ptop, width: plan.cropWidth, height: plan.cropHeight)
        image.pixels.withUnsafeBufferPointer { src in
            let fill = crop.isInside(width: image.width, height: image.height)
                ? (0, 0, 0) : AugmentPixels.meanColour(src, count: image.width * image.height)
            AugmentPixels.resizeLinear(src, width: image.width, height: image.height, crop: crop, fill: fill,
                                       to: dst, outWidth: width, outHeight: height, flip: plan.flip)
            if plan.adjustsColour {
                AugmentPixels.jitterHSV(dst, pixels: width * height, dhue: plan.dhue, dsat: plan.dsat, dexp: plan.dexp)
            }
        }
    }

    // MARK: - Building blocks (public for tests)

    /// OpenCV `cv::resize(…, INTER_LINEAR)` on 8-bit RGB: half-pixel centres, `src = (dst + 0.5)·scale − 0.5`,
    /// neighbours clamped at the borders, results rounded to 8 bits (computed in float; OpenCV's fixed-point
    /// arithmetic can differ by one level).
    public static func resizeLinear(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        var out = RGBImage(width: width, height: height)
        image.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                AugmentPixels.resizeLinear(src, width: image.width, height: image.height,
                                           crop: PixelRect(x: 0, y: 0, width: image.width, height: image.height),
                                           fill: (0, 0, 0), to: dst.baseAddress!, outWidth: width, outHeight: height, flip: false)
            }
        }
        return out
    }

    /// The crop of `image` at (`x`,`y`) of size `width`×`height`, parts outside the image filled with its
    /// per-channel mean colour (`cv::mean`, rounded half to even into 8 bits) — what darknet resizes.
    public static func cropWithMeanFill(_ image: RGBImage, x: Int, y: Int, width: Int, height: Int) -> RGBImage {
        var out = RGBImage(width: width, height: height)
        image.pixels.withUnsafeBufferPointer { src in
            let fill = AugmentPixels.meanColour(src, count: image.width * image.height)
            out.pixels.withUnsafeMutableBufferPointer { dst in
                let rect = PixelRect(x: x, y: y, width: width, height: height)
                var row = [UInt8](repeating: 0, count: width * 3)
                row.withUnsafeMutableBufferPointer { scratch in
                    AugmentPixels.fillRow(scratch.baseAddress!, count: width, colour: fill)
                    var fillRow = [UInt8](repeating: 0, count: width * 3)
                    fillRow.withUnsafeMutableBufferPointer { fr in
                        AugmentPixels.fillRow(fr.baseAddress!, count: width, colour: fill)
                        for r in 0..<height {
                            let p = AugmentPixels.cropRow(src, imageWidth: image.width, imageHeight: image.height,
                                                          crop: rect, row: r, scratch: scratch.baseAddress!,
                                                          fillRow: UnsafePointer(fr.baseAddress!))
                            (dst.baseAddress! + r * width * 3).update(from: p, count: width * 3)
                        }
                    }
                }
            }
        }
        return out
    }

    /// The per-channel mean colour of an image, rounded half to even into 8 bits (`cv::mean` then `setTo`).
    public static func meanColour(_ image: RGBImage) -> (UInt8, UInt8, UInt8) {
        image.pixels.withUnsafeBufferPointer { AugmentPixels.meanColour($0, count: image.width * image.height) }
    }

    /// OpenCV's 8-bit RGB → HSV (`COLOR_RGB2HSV`): H ∈ [0,180) in 2° units, S and V in [0,255]. The result is
    /// stored interleaved as (H, S, V) in an ``RGBImage``.
    public static func rgbToHSV(_ image: RGBImage) -> RGBImage {
        var out = image
        out.pixels.withUnsafeMutableBufferPointer { AugmentPixels.rgbToHSV($0.baseAddress!, pixels: image.width * image.height) }
        return out
    }

    /// OpenCV's 8-bit HSV → RGB (`COLOR_HSV2RGB`); H values ≥ 180 (which the saturating hue shift can produce)
    /// are angles past 360° and wrap, as the conversion formula is periodic.
    public static func hsvToRGB(_ image: RGBImage) -> RGBImage {
        var out = image
        out.pixels.withUnsafeMutableBufferPointer { AugmentPixels.hsvToRGB($0.baseAddress!, pixels: image.width * image.height) }
        return out
    }

    /// darknet's HSV jitter on 8-bit RGB: to OpenCV HSV, `S ← sat(S·dsat)`, `V ← sat(V·dexp)`,
    /// `H ← sat(H + 179·dhue)` (saturating, no hue wrap), back to RGB.
    public static func jitterHSV(_ image: RGBImage, dhue: Float, dsat: Float, dexp: Float) -> RGBImage {
        var out = image
        out.pixels.withUnsafeMutableBufferPointer {
            AugmentPixels.jitterHSV($0.baseAddress!, pixels: image.width * image.height, dhue: dhue, dsat: dsat, dexp: dexp)
        }
        return out
    }
}

/// An integer rectangle in image pixels; may extend beyond the image.
struct PixelRect: Equatable {
    var x: Int
    var y: Int
    var width: Int
    var height: Int

    func isInside(width w: Int, height h: Int) -> Bool {
        x >= 0 && y >= 0 && x + width <= w && y + height <= h
    }
}
