import Foundation
import SwiftnetCore
import SwiftnetFormat

/// The augmentation knobs of a classification cfg (spec §5.5): network size, class count and the `[net]` keys
/// angle/aspect/min_crop/max_crop/flip/hue/saturation/exposure/mixup/cutmix/mosaic/blur/label_smooth_eps.
public struct ClassifierAugmentParameters: Equatable, Sendable {
    /// Network input size (the augmented image's size).
    public var width: Int
    public var height: Int
    /// Number of classes K (length of the target vector).
    public var classes: Int
    /// `angle`: rotation drawn uniformly in ±angle degrees.
    public var angle: Float
    /// `aspect`: horizontal stretch drawn with `rand_scale(aspect)`.
    public var aspect: Float
    /// `min_crop`, `max_crop`: range of the scaled shorter side (defaults `width` and `2·width`).
    public var minCrop: Int
    public var maxCrop: Int
    /// `flip`: random horizontal flip.
    public var flip: Bool
    /// `hue` (in turns), `saturation`, `exposure` (`rand_scale` factors).
    public var hue: Float
    public var saturation: Float
    public var exposure: Float
    /// `mixup`, `cutmix`, `mosaic`: combined into darknet's mixing code (``mixingCode``).
    public var mixup: Int
    public var cutmix: Bool
    public var mosaic: Bool
    /// `blur`: a quarter of the images get a Gaussian blur of this kernel size (15 for `blur=1`).
    public var blur: Int
    /// `label_smooth_eps` ε: true class `1 − ε`, the others `ε/(K−1)`.
    public var labelSmoothEps: Float

    /// Creates parameters; the defaults are darknet's (`minCrop`/`maxCrop` nil = `width`, `2·width`).
    public init(width: Int, height: Int, classes: Int, angle: Float = 0, aspect: Float = 1, minCrop: Int? = nil,
                maxCrop: Int? = nil, flip: Bool = true, hue: Float = 0, saturation: Float = 1, exposure: Float = 1,
                mixup: Int = 0, cutmix: Bool = false, mosaic: Bool = false, blur: Int = 0, labelSmoothEps: Float = 0) {
        self.width = width
        self.height = height
        self.classes = classes
        self.angle = angle
        self.aspect = aspect
        self.minCrop = minCrop ?? width
        self.maxCrop = maxCrop ?? 2 * width
        self.flip = flip
        self.hue = hue
        self.saturation = saturation
        self.exposure = exposure
        self.mixup = mixup
        self.cutmix = cutmix
        self.mosaic = mosaic
        self.blur = blur
        self.labelSmoothEps = labelSmoothEps
    }

    /// Takes the knobs from the `[net]` section, with `classes` from the `.data` file (or the label list).
    public init(net: NetConfig, classes: Int) {
        self.init(width: net.width, height: net.height, classes: classes, angle: net.angle, aspect: net.aspect,
                  minCrop: net.minCrop, maxCrop: net.maxCrop, flip: net.flip, hue: net.hue, saturation: net.saturation,
                  exposure: net.exposure, mixup: net.mixup, cutmix: net.cutmix, mosaic: net.mosaic, blur: net.blur,
                  labelSmoothEps: net.labelSmoothEps)
    }

    /// darknet's mixing code (spec §1.5): 0 none, 1 MixUp, 2 CutMix, 3 Mosaic, 4 CutMix or Mosaic per sample.
    public var mixingCode: Int { MixingCode.combine(mixup: mixup, cutmix: cutmix, mosaic: mosaic) }

    /// The Gaussian kernel of the random blur: `blur`, 15 for `blur=1`, made odd (OpenCV needs an odd size;
    /// darknet passes an even `blur` through and fails there) — 0 when blur is off.
    public var blurKernel: Int {
        guard blur > 0 else { return 0 }
        let k = blur == 1 ? 15 : blur
        return k % 2 == 1 ? k : k + 1
    }

    /// Checks sizes, crop range, finite jitter ranges, ε and the mixing code.
    public func validate() throws {
        guard width > 0, height > 0 else { throw SwiftnetError.invalid("augmentation needs a positive network size (got \(width)×\(height))") }
        guard classes > 0 else { throw SwiftnetError.invalid("classification needs classes ≥ 1 (got \(classes))") }
        guard minCrop > 0, maxCrop > 0 else { throw SwiftnetError.invalid("min_crop=\(minCrop) and max_crop=\(maxCrop) must be positive") }
        for (name, v) in [("angle", angle), ("aspect", aspect), ("hue", hue), ("saturation", saturation), ("exposure", exposure)] where !v.isFinite {
            throw SwiftnetError.invalid("\(name)=\(v) must be finite")
        }
        guard aspect > 0, saturation > 0, exposure > 0 else { throw SwiftnetError.invalid("aspect, saturation and exposure must be > 0") }
        guard labelSmoothEps.isFinite, labelSmoothEps >= 0, labelSmoothEps <= 1 else {
            throw SwiftnetError.invalid("label_smooth_eps=\(labelSmoothEps) must lie in [0, 1]")
        }
        guard (0...4).contains(mixingCode) else {
            throw SwiftnetError.invalid("mixup=\(mixup) is not a mixing mode (0 off, 1 MixUp, or use cutmix=1 / mosaic=1)")
        }
        guard blur >= 0 else { throw SwiftnetError.invalid("blur=\(blur) must be ≥ 0") }
    }
}

/// One augmented classification sample: the network input and its (soft) target vector.
public struct ClassifierSample: Equatable, Sendable {
    /// Float CHW, 3 channels, network size.
    public var image: Image
    /// K targets: the smoothed one-hot vector of the class, or the area/weight mix of several.
    public var targets: [Float]
    /// The mixing used and its geometry.
    public var layout: MixLayout
    /// Class of each source image, in mixing order (the first is the base; MixUp/CutMix add one, Mosaic three).
    public var sourceClasses: [Int]
    /// Whether the random blur was applied.
    public var blurred: Bool
}

/// darknet's classification training data (`data.c:load_data_augment`, `load_image_augment_paths`,
/// `image.c:random_augment_image`, `random_distort_image`; spec §5.5).
public enum ClassifierAugment {
    /// Draws one training image and its class at random.
    public typealias Source = (inout SeededRandom) throws -> (image: RGBImage, classIndex: Int)

    /// The class of an image from its path: the single class name that occurs in the path as a substring (byte
    /// for byte, as `strstr`).
    ///
    /// - Throws: ``SwiftnetError/data(path:line:message:)`` naming the path when no name or more than one name
    ///   occurs in it (darknet only prints `Too many or too few labels`), or when a name is empty.
    public static func label(forPath path: String, names: [String]) throws -> Int {
        let haystack = Array(path.utf8)
        var matches: [Int] = []
        for (k, name) in names.enumerated() {
            let needle = Array(name.utf8)
            guard !needle.isEmpty else {
                throw SwiftnetError.data(path: path, line: nil, message: "class name \(k) is empty, so it would match every path")
            }
            if contains(haystack, needle) { matches.append(k) }
        }
        guard matches.count == 1 else {
            let message = matches.isEmpty
                ? "no class name occurs in the path (each image path must contain exactly one of the \(names.count) labels)"
                : "the path contains \(matches.count) class names (\(matches.map { "'\(names[$0])'" }.joined(separator: ", "))); exactly one must occur"
            throw SwiftnetError.data(path: path, line: nil, message: message)
        }
        return matches[0]
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            var k = 1
            while k < needle.count && haystack[start + k] == needle[k] { k += 1 }
            if k == needle.count { return true }
        }
        return false
    }

    /// The target vector of class `classIndex` (`data.c:fill_truth_smooth`): `1 − ε` for the class, `ε/(K−1)`
    /// for every other (with K = 1 just `[1 − ε]`).
    public static func targets(classIndex: Int, classes: Int, labelSmoothEps eps: Float) -> [Float] {
        precondition(classIndex >= 0 && classIndex < classes, "class \(classIndex) outside 0..<\(classes)")
        let other = classes > 1 ? eps / Float(classes - 1) : 0
        var t = [Float](repeating: other, count: classes)
        t[classIndex] = 1 - eps
        return t
    }

    // MARK: - One image

    /// The random choices for one image.
    public struct Plan: Equatable, Sendable {
        /// Horizontal stretch `a` and scale `r/m` of the crop.
        public var aspect: Float
        public var scale: Float
        /// Rotation in radians.
        public var radians: Float
        /// Crop centre offset in output pixels.
        public var dx: Float
        public var dy: Float
        public var flip: Bool
        public var dhue: Float
        public var dsat: Float
        public var dexp: Float
    }

    /// Draws the plan for a `width`×`height` source image, in darknet's order: `a = rand_scale(aspect)`,
    /// `r = rand_int(min_crop, max_crop)`, angle, dx, dy, flip, dhue, dsat, dexp.
    public static func drawPlan(imageWidth w: Int, imageHeight h: Int, params: ClassifierAugmentParameters,
                                rng: inout SeededRandom) -> Plan {
        let size = Float(max(params.width, params.height))
        let a = rng.randScale(params.aspect)
        let r = rng.randInt(params.minCrop, params.maxCrop)
        // darknet keeps the shorter side in an int, so W·a is truncated.
        let m = max(1, Float(h) < Float(w) * a ? h : Int(Float(w) * a))
        let scale = Float(r) / Float(m)
        let radians = rng.randUniformStrong(-params.angle, params.angle) * 2 * Float.pi / 360
        let maxDX = max(0, (Float(w) * scale / a - size) / 2)
        let maxDY = max(0, (Float(h) * scale - size) / 2)
        let dx = rng.randUniformStrong(-maxDX, maxDX)
        let dy = rng.randUniformStrong(-maxDY, maxDY)
        let flip = params.flip ? rng.randomBit() : false
        let dhue = rng.randUniformStrong(-params.hue, params.hue)
        let dsat = rng.randScale(params.saturation)
        let dexp = rng.randScale(params.exposure)
        return Plan(aspect: a, scale: scale, radians: radians, dx: dx, dy: dy, flip: flip, dhue: dhue, dsat: dsat, dexp: dexp)
    }

    /// Augments one image (`random_augment_image` + flip + `random_distort_image` + resize): the S×S rotated,
    /// scaled crop (S = max(width, height)) sampling the source bilinearly with zero outside, flip, float HSV
    /// jitter with hue wrap-around, clamped to [0,1], darknet's bilinear resize to width×height.
    public static func augment(image: RGBImage, params: ClassifierAugmentParameters, rng: inout SeededRandom) -> Image {
        let plan = drawPlan(imageWidth: image.width, imageHeight: image.height, params: params, rng: &rng)
        return render(image: image, plan: plan, width: params.width, height: params.height)
    }

    /// The pixel half of ``augment(image:params:rng:)`` for a given plan.
    public static func render(image: RGBImage, plan: Plan, width: Int, height: Int) -> Image {
        let size = max(width, height)
        var crop = rotateCrop(image, plan: plan, size: size)
        if plan.flip { mirror(&crop) }
        distort(&crop, dhue: plan.dhue, dsat: plan.dsat, dexp: plan.dexp)
        return crop.resized(width: width, height: height)
    }

    /// Output pixel (x, y) of the S×S crop samples the source at
    /// `(cosθ·u − sinθ·v + W/2, sinθ·u + cosθ·v + H/2)`, `u = ((x − S/2) + dx)·a/scale`, `v = ((y − S/2) + dy)/scale`;
    /// each of the four bilinear taps outside the image counts as 0.
    static func rotateCrop(_ image: RGBImage, plan: Plan, size: Int) -> Image {
        let plane = size * size
        var out = [Float](repeating: 0, count: 3 * plane)
        let c = cos(plan.radians), s = sin(plan.radians)
        let cx = Float(image.width) / 2, cy = Float(image.height) / 2
        let half = Float(size) / 2
        let iw = image.width, ih = image.height
        AugmentPixels.unitScale.withUnsafeBufferPointer { lut in
        image.pixels.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            for y in 0..<size {
                let v = (Float(y) - half + plan.dy) / plan.scale
                for x in 0..<size {
                    let u = (Float(x) - half + plan.dx) * plan.aspect / plan.scale
                    let sx = c * u - s * v + cx
                    let sy = s * u + c * v + cy
                    let fx = sx.rounded(.down), fy = sy.rounded(.down)
                    guard fx > -2, fy > -2, fx < Float(iw), fy < Float(ih) else { continue }   // all four taps outside
                    let ix = Int(fx), iy = Int(fy)
                    let ax = sx - fx, ay = sy - fy
                    let weights = ((1 - ay) * (1 - ax), ay * (1 - ax), (1 - ay) * ax, ay * ax)
                    for ch in 0..<3 {
                        @inline(__always) func tap(_ px: Int, _ py: Int) -> Float {
                            px < 0 || py < 0 || px >= iw || py >= ih ? 0 : lut[Int(src[(py * iw + px) * 3 + ch])]
                        }
                        dst[ch * plane + y * size + x] = weights.0 * tap(ix, iy) + weights.1 * tap(ix, iy + 1)
                            + weights.2 * tap(ix + 1, iy) + weights.3 * tap(ix + 1, iy + 1)
                    }
                }
            }
        }}}
        return Image(width: size, height: size, channels: 3, data: out)
    }

    static func mirror(_ image: inout Image) {
        let w = image.width
        image.data.withUnsafeMutableBufferPointer { d in
            for row in 0..<(image.height * image.channels) {
                let base = row * w
                var i = 0, j = w - 1
                while i < j { d.swapAt(base + i, base + j); i += 1; j -= 1 }
            }
        }
    }

    /// darknet's float HSV jitter (`image.c:distort_image`): to HSV (H in turns), `S·dsat`, `V·dexp`, `H + dhue`
    /// wrapped into [0,1), back to RGB, then every value clamped to [0,1]. Neutral factors leave the image as is.
    public static func distort(_ image: inout Image, dhue: Float, dsat: Float, dexp: Float) {
        guard dsat != 1 || dexp != 1 || dhue != 0 else { return }
        let plane = image.width * image.height
        image.data.withUnsafeMutableBufferPointer { d in
            let rp = d.baseAddress!, gp = rp + plane, bp = rp + 2 * plane
            for i in 0..<plane {
                let r = rp[i], g = gp[i], b = bp[i]
                let mx = max(r, g, b), mn = min(r, g, b)
                let delta = mx - mn
                var h: Float = 0, s: Float = 0
                if mx > 0 && delta > 0 {
                    s = delta / mx
                    if r == mx { h = (g - b) / delta } else if g == mx { h = 2 + (b - r) / delta } else { h = 4 + (r - g) / delta }
                    if h < 0 { h += 6 }
                    h /= 6
                }
                s *= dsat
                let v = mx * dexp
                h += dhue
                if h > 1 { h -= 1 }
                if h < 0 { h += 1 }
                var (nr, ng, nb) = (v, v, v)
                if s != 0 {
                    let h6 = h * 6
                    let sector = h6.rounded(.down)
                    let f = h6 - sector
                    let p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f))
                    switch Int(sector) {
                    case 0: (nr, ng, nb) = (v, t, p)
                    case 1: (nr, ng, nb) = (q, v, p)
                    case 2: (nr, ng, nb) = (p, v, t)
                    case 3: (nr, ng, nb) = (p, q, v)
                    case 4: (nr, ng, nb) = (t, p, v)
                    default: (nr, ng, nb) = (v, p, q)
                    }
                }
                rp[i] = min(1, max(0, nr)); gp[i] = min(1, max(0, ng)); bp[i] = min(1, max(0, nb))
            }
        }
    }

    // MARK: - Batches

    /// One sample: a loader call of one image (``batch(count:params:rng:source:)`` with `count` 1).
    public static func sample(params: ClassifierAugmentParameters, rng: inout SeededRandom, source: Source) throws -> ClassifierSample {
        try batch(count: 1, params: params, rng: &rng, source: source)[0]
    }

    /// `count` samples as one darknet loader call (`data.c:load_data_augment`): `count` augmented images with
    /// their targets; then, when mixing is on, one coin for the call — with probability ½ a second set (and for
    /// Mosaic a third and fourth) is drawn and mixed into each sample:
    /// * MixUp: images and targets averaged;
    /// * CutMix: `cut_w = rand_int(int(0.3w), int(0.8w))`, `cut_h` likewise, origin `rand_int(0, w − cut_w − 1)`,
    ///   the second image's rectangle pasted; targets `(1 − α)·first + α·second`, α = rectangle area / image area;
    /// * Mosaic: split at `rand_int(int(0.2w), int(0.8w))` × likewise, quadrants from the four sets in reading
    ///   order; targets weighted by the quadrant areas;
    /// * code 4: CutMix or Mosaic per sample (`rand_int(2, 3)`).
    /// Finally each image is blurred with probability ¼ when `blur` is set.
    ///
    /// - Throws: what `source` throws; ``SwiftnetError/invalid(_:)`` for an invalid class index or parameters.
    public static func batch(count: Int, params: ClassifierAugmentParameters, rng: inout SeededRandom,
                             source: Source) throws -> [ClassifierSample] {
        try params.validate()
        func load() throws -> (Image, [Float], Int) {
            let (image, k) = try source(&rng)
            guard k >= 0 && k < params.classes else {
                throw SwiftnetError.invalid("class index \(k) outside 0..<\(params.classes)")
            }
            return (augment(image: image, params: params, rng: &rng),
                    targets(classIndex: k, classes: params.classes, labelSmoothEps: params.labelSmoothEps), k)
        }
        var samples = try (0..<count).map { _ -> ClassifierSample in
            let (image, t, k) = try load()
            return ClassifierSample(image: image, targets: t, layout: .single, sourceClasses: [k], blurred: false)
        }

        let code = params.mixingCode
        if code != 0 && rng.randInt(0, 1) == 1 {
            let w = params.width, h = params.height
            let second = try (0..<count).map { _ in try load() }
            let third = code >= 3 ? try (0..<count).map { _ in try load() } : []
            let fourth = code >= 3 ? try (0..<count).map { _ in try load() } : []
            for i in 0..<count {
                let mode = code == 4 ? rng.randInt(2, 3) : code
                switch mode {
                case 1:
                    samples[i].image = mixUp(samples[i].image, second[i].0)
                    samples[i].targets = zip(samples[i].targets, second[i].1).map { ($0 + $1) / 2 }
                    samples[i].layout = .mixup
                    samples[i].sourceClasses.append(second[i].2)
                case 2:
                    let cutW = rng.randInt(Int(Float(w) * 0.3), Int(Float(w) * 0.8))
                    let cutH = rng.randInt(Int(Float(h) * 0.3), Int(Float(h) * 0.8))
                    let cutX = rng.randInt(0, max(0, w - cutW - 1))
                    let cutY = rng.randInt(0, max(0, h - cutH - 1))
                    paste(second[i].0, into: &samples[i].image, rect: MixRect(x: cutX, y: cutY, width: cutW, height: cutH))
                    let alpha = Float(cutW * cutH) / Float(w * h)
                    let beta = 1 - alpha
                    samples[i].targets = zip(samples[i].targets, second[i].1).map { $0 * beta + $1 * alpha }
                    samples[i].layout = .cutmix(x: cutX, y: cutY, width: cutW, height: cutH)
                    samples[i].sourceClasses.append(second[i].2)
                default:
                    let cutX = rng.randInt(Int(Float(w) * 0.2), Int(Float(w) * (1 - 0.2)))
                    let cutY = rng.randInt(Int(Float(h) * 0.2), Int(Float(h) * (1 - 0.2)))
                    let parts = [second[i].0, third[i].0, fourth[i].0]
                    let rects = [MixRect(x: cutX, y: 0, width: w - cutX, height: cutY),
                                 MixRect(x: 0, y: cutY, width: cutX, height: h - cutY),
                                 MixRect(x: cutX, y: cutY, width: w - cutX, height: h - cutY)]
                    for (part, rect) in zip(parts, rects) { paste(part, into: &samples[i].image, rect: rect) }
                    let area = Float(w * h)
                    let s1 = Float(cutX * cutY) / area, s2 = Float((w - cutX) * cutY) / area
                    let s3 = Float(cutX * (h - cutY)) / area, s4 = Float((w - cutX) * (h - cutY)) / area
                    let t1 = samples[i].targets, t2 = second[i].1, t3 = third[i].1, t4 = fourth[i].1
                    samples[i].targets = (0..<params.classes).map { j in t1[j] * s1 + t2[j] * s2 + t3[j] * s3 + t4[j] * s4 }
                    samples[i].layout = .mosaic(cutX: cutX, cutY: cutY)
                    samples[i].sourceClasses += [second[i].2, third[i].2, fourth[i].2]
                }
            }
        }

        let kernel = params.blurKernel
        if kernel > 0 {
            for i in 0..<count where rng.randomIndex(below: 4) == 0 {
                AugmentFilters.gaussianBlur(&samples[i].image, kernel: kernel)
                samples[i].blurred = true
            }
        }
        return samples
    }

    /// `(a + b)/2` per value.
    static func mixUp(_ a: Image, _ b: Image) -> Image {
        var out = a
        out.data.withUnsafeMutableBufferPointer { o in
            b.data.withUnsafeBufferPointer { s in
                for i in 0..<o.count { o[i] = (o[i] + s[i]) / 2 }
            }
        }
        return out
    }

    /// Copies `rect` of `source` into the same place of `image` (same sizes).
    static func paste(_ source: Image, into image: inout Image, rect: MixRect) {
        guard rect.width > 0, rect.height > 0 else { return }
        let w = image.width, h = image.height
        image.data.withUnsafeMutableBufferPointer { d in
            source.data.withUnsafeBufferPointer { s in
                for c in 0..<image.channels {
                    for y in rect.y..<(rect.y + rect.height) {
                        let o = (c * h + y) * w + rect.x
                        (d.baseAddress! + o).update(from: s.baseAddress! + o, count: rect.width)
                    }
                }
            }
        }
    }
}
