import Foundation
import SwiftnetCore
import SwiftnetFormat

/// A synthetic, fully offline detection dataset: filled geometric shapes on varied backgrounds, with YOLO labels.
///
/// Every image is a pure function of its seed (the generator uses only ``SeededRandom`` and its own integer/float
/// mappings, never the standard library's unspecified sampling algorithms), so a dataset is reproducible across runs;
/// across platforms, only last-bit differences of the C math library could change an edge pixel. Labels are the pixel-exact extent of each object's visible part: shapes may touch the image border
/// (the label is clipped to the image) and may overlap, but each keeps at least ~55% of its area inside the image and
/// at least ~65% of that unoccluded, with its visible box close to its unoccluded one.
public enum ShapesDataset {
    /// The classes, in label order.
    public static let classNames = ["circle", "square", "triangle", "cross", "ring"]

    /// One object's label: class index and box, all relative to the image size (YOLO convention).
    public struct Label: Equatable, Sendable {
        /// Index into ``ShapesDataset/classNames``.
        public var classIndex: Int
        /// Box centre x, in [0, 1].
        public var x: Double
        /// Box centre y, in [0, 1].
        public var y: Double
        /// Box width, in (0, 1].
        public var width: Double
        /// Box height, in (0, 1].
        public var height: Double

        /// Creates a label from relative centre and size.
        public init(classIndex: Int, x: Double, y: Double, width: Double, height: Double) {
            self.classIndex = classIndex
            self.x = x
            self.y = y
            self.width = width
            self.height = height
        }

        /// The label file line: `class cx cy w h` with six decimals.
        public var yoloLine: String {
            String(format: "%d %.6f %.6f %.6f %.6f", classIndex, x, y, width, height)
        }
    }

    /// What ``generate(outputDirectory:count:seed:imageSize:validFraction:)`` wrote.
    public struct Summary: Sendable {
        /// Number of images written.
        public var imageCount: Int
        /// Images listed in the training list.
        public var trainCount: Int
        /// Images listed in the validation list.
        public var validCount: Int
        /// Number of labelled objects per class (indexed like ``ShapesDataset/classNames``).
        public var objectsPerClass: [Int]
        /// Path of the written `.data` file.
        public var dataFile: String
        /// Path of the training image list.
        public var trainList: String
        /// Path of the validation image list.
        public var validList: String
        /// Path of the `.names` file.
        public var namesFile: String
    }

    /// Largest supported image count (file names have six digits).
    public static let maxCount = 1_000_000

    /// Writes a dataset under `outputDirectory` (created if needed):
    ///
    /// - `images/NNNNNN.jpg` and `images/NNNNNN.txt` (YOLO labels next to each image, as darknet expects),
    /// - `train.txt`, `valid.txt`: image paths, one a line, written as `outputDirectory` + `/images/…` (relative when
    ///   `outputDirectory` is),
    /// - `shapes.names`, and `shapes.data` with `classes`, `train`, `valid`, `names` and `backup` (the folder
    ///   `backup/` is created).
    ///
    /// Every file is written atomically. Image `i` depends only on `seed` and `i`; the validation images are a
    /// seeded random `validFraction` of them. Files of an earlier, larger dataset in the same folder are left in place
    /// but are not listed.
    ///
    /// - Parameters:
    ///   - outputDirectory: Dataset folder. It must not contain whitespace: darknet's `.data` reader removes it.
    ///   - count: Number of images, 1 to ``maxCount``.
    ///   - seed: Seed of the whole dataset.
    ///   - imageSize: Side of the square images in pixels (at least 32).
    ///   - validFraction: Share of images in the validation list, in [0, 1).
    ///   - classification: one shape per image, the class in the file name (`images/square_000012.jpg`, darknet's
    ///     classifier convention: the label is the class name found in the path), no label files, and `labels=` in
    ///     the `.data` file.
    public static func generate(outputDirectory: String, count: Int, seed: UInt64, imageSize: Int = 256,
                                validFraction: Double = 0.2, classification: Bool = false,
                                classes: Int = classNames.count) throws -> Summary {
        guard (1...classNames.count).contains(classes) else {
            throw SwiftnetError.invalid("classes must be 1…\(classNames.count) (\(classNames.joined(separator: ", "))), got \(classes)")
        }
        guard count >= 1, count <= maxCount else { throw SwiftnetError.invalid("image count must be 1…\(maxCount), got \(count)") }
        guard imageSize >= 32 else { throw SwiftnetError.invalid("image size must be at least 32, got \(imageSize)") }
        guard validFraction >= 0, validFraction < 1 else {
            throw SwiftnetError.invalid("valid fraction must be in [0, 1), got \(validFraction)")
        }
        guard !outputDirectory.isEmpty else { throw SwiftnetError.invalid("empty output directory") }
        guard !outputDirectory.unicodeScalars.contains(where: { $0.properties.isWhitespace }) else {
            throw SwiftnetError.invalid("output directory '\(outputDirectory)' contains whitespace, which darknet's .data files cannot hold")
        }

        let base = outputDirectory.hasSuffix("/") && outputDirectory.count > 1 ? String(outputDirectory.dropLast()) : outputDirectory
        func join(_ name: String) -> String { base == "/" ? "/" + name : base + "/" + name }
        let imagesDirectory = join("images")
        for directory in [base, imagesDirectory, join("backup")] {
            try ensureDirectory(directory)
        }

        func imagePath(_ index: Int) -> String {
            let prefix = classification ? classNames[index % classes] + "_" : ""
            return imagesDirectory + "/" + prefix + String(format: "%06d", index) + ".jpg"
        }

        // Images are independent, so they are rendered and written in parallel; results land in per-index slots.
        let results = ResultSlots(count: count)
        Parallel.tasks(count) { index, _ in
            guard results.firstError == nil else { return }
            let scene = renderScene(seed: imageSeed(seed, index), size: imageSize, solidBackground: false,
                                    single: classification, singleClass: index % classes, classes: classes)
            let path = imagePath(index)
            do {
                try ImageIO.write(scene.image, to: path, quality: 92)
                if !classification {
                    let text = scene.objects.map { $0.label.yoloLine + "\n" }.joined()
                    try AtomicFile.write(text, to: String(path.dropLast(4)) + ".txt")
                }
                results.set(index, scene.objects.map(\.label.classIndex))
            } catch {
                results.fail(error)
            }
        }
        if let error = results.firstError { throw error }

        var objectsPerClass = [Int](repeating: 0, count: classes)
        for classes in results.values { for k in classes ?? [] { objectsPerClass[k] += 1 } }

        let validCount = Int((Double(count) * validFraction).rounded())
        var order = Array(0..<count)
        var rng = SeededRandom(seed: seed ^ 0x5EED_0F_5A11D)
        for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, rng.uniformInt(below: i + 1)) }
        let validSet = Set(order.prefix(validCount))
        var train = "", valid = ""
        for index in 0..<count {
            if validSet.contains(index) { valid += imagePath(index) + "\n" } else { train += imagePath(index) + "\n" }
        }

        let trainList = join("train.txt"), validList = join("valid.txt"), namesFile = join("shapes.names"), dataFile = join("shapes.data")
        try AtomicFile.write(train, to: trainList)
        try AtomicFile.write(valid, to: validList)
        try AtomicFile.write(classNames.prefix(classes).map { $0 + "\n" }.joined(), to: namesFile)
        try AtomicFile.write("""
            classes=\(classes)
            train=\(trainList)
            valid=\(validList)
            names=\(namesFile)
            backup=\(join("backup"))
            \(classification ? "labels=\(namesFile)\ntop=2\n" : "")
            """, to: dataFile)
        return Summary(imageCount: count, trainCount: count - validCount, validCount: validCount, objectsPerClass: objectsPerClass,
                       dataFile: dataFile, trainList: trainList, validList: validList, namesFile: namesFile)
    }

    /// One image and its labels, a pure function of `seed` and `size` (for demo pictures and tests).
    public static func sample(seed: UInt64, size: Int = 256) -> (image: RGBImage, labels: [Label]) {
        let scene = renderScene(seed: seed, size: max(32, size), solidBackground: false)
        return (scene.image, scene.objects.map(\.label))
    }

    /// The seed of image `index` of a dataset (independent of the image count).
    static func imageSeed(_ seed: UInt64, _ index: Int) -> UInt64 {
        var z = seed &+ 0x9E37_79B9_7F4A_7C15 &* (UInt64(index) &+ 1)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// MARK: - Scene rendering

extension ShapesDataset {
    /// A placed object: its label plus what tests need to check it against the pixels.
    struct SceneObject {
        var label: Label
        var color: Color
        /// No later object took any of its pixels.
        var unoccluded: Bool
    }

    struct Scene {
        var image: RGBImage
        var objects: [SceneObject]
        /// The background colour when it is solid.
        var solidColor: Color?
    }

    /// A shape in image coordinates; `inside` works in the shape's own frame, where its box is [-1, 1]².
    struct Shape {
        var classIndex: Int
        var cx: Double, cy: Double
        var halfWidth: Double, halfHeight: Double
        var cosA: Double, sinA: Double
        /// Ring: inner radius; cross: bar half-width (both in the shape's frame).
        var parameter: Double

        func inside(_ x: Double, _ y: Double) -> Bool {
            let dx = x - cx, dy = y - cy
            let u = (dx * cosA + dy * sinA) / halfWidth
            let v = (dy * cosA - dx * sinA) / halfHeight
            switch classIndex {
            case 0: return u * u + v * v <= 1
            case 1: return abs(u) <= 1 && abs(v) <= 1
            case 2: return v <= 1 && abs(u) <= (v + 1) / 2
            case 3: return abs(u) <= 1 && abs(v) <= 1 && (abs(u) <= parameter || abs(v) <= parameter)
            default:
                let r2 = u * u + v * v
                return r2 <= 1 && r2 >= parameter * parameter
            }
        }

        /// Half extents of the rotated box.
        var extent: (x: Double, y: Double) {
            (abs(halfWidth * cosA) + abs(halfHeight * sinA), abs(halfWidth * sinA) + abs(halfHeight * cosA))
        }
    }

    /// Coverage of a shape over a pixel rectangle that may extend past the image: 0…16 samples per pixel.
    struct Mask {
        var x0: Int, y0: Int, width: Int, height: Int
        var coverage: [UInt8]

        static let samples = 4
        static let full = UInt8(samples * samples)
        /// A pixel belongs to the shape when at least half of it is covered.
        static let owned = full / 2

        init(_ shape: Shape) {
            let e = shape.extent
            x0 = Int((shape.cx - e.x).rounded(.down)) - 1
            y0 = Int((shape.cy - e.y).rounded(.down)) - 1
            width = Int((shape.cx + e.x).rounded(.up)) + 1 - x0
            height = Int((shape.cy + e.y).rounded(.up)) + 1 - y0
            // Inside-tests at pixel corners; a pixel whose four corners agree is taken as fully in or out (features
            // are several pixels wide at the sizes used), the others are supersampled.
            let cw = width + 1
            var corner = [Bool](repeating: false, count: cw * (height + 1))
            for j in 0...height {
                for i in 0...width { corner[j * cw + i] = shape.inside(Double(x0 + i), Double(y0 + j)) }
            }
            coverage = [UInt8](repeating: 0, count: width * height)
            let n = Mask.samples
            for j in 0..<height {
                for i in 0..<width {
                    let a = corner[j * cw + i], b = corner[j * cw + i + 1], c = corner[(j + 1) * cw + i], d = corner[(j + 1) * cw + i + 1]
                    if a == b && b == c && c == d {
                        coverage[j * width + i] = a ? Mask.full : 0
                        continue
                    }
                    var hits = 0
                    for sy in 0..<n {
                        for sx in 0..<n where shape.inside(Double(x0 + i) + (Double(sx) + 0.5) / Double(n),
                                                          Double(y0 + j) + (Double(sy) + 0.5) / Double(n)) {
                            hits += 1
                        }
                    }
                    coverage[j * width + i] = UInt8(hits)
                }
            }
        }
    }

    /// Inclusive pixel box.
    struct PixelBox {
        var x0 = Int.max, y0 = Int.max, x1 = Int.min, y1 = Int.min
        var isEmpty: Bool { x0 > x1 }
        mutating func add(_ x: Int, _ y: Int) {
            x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y)
        }
        var area: Int { isEmpty ? 0 : (x1 - x0 + 1) * (y1 - y0 + 1) }
        func iou(_ o: PixelBox) -> Double {
            let w = min(x1, o.x1) - max(x0, o.x0) + 1, h = min(y1, o.y1) - max(y0, o.y0) + 1
            guard w > 0, h > 0 else { return 0 }
            return Double(w * h) / Double(area + o.area - w * h)
        }
    }

    /// Book-keeping of a placed object while the scene is built.
    private struct Placed {
        var classIndex: Int
        var color: Color
        var inImagePixels: Int
        var inImageBox: PixelBox
        var visiblePixels: Int
        var visibleBox: PixelBox
    }

    enum BackgroundStyle: Int, CaseIterable { case solid, gradient, noise, stripes }

    /// Renders one image. `solidBackground` forces a uniform background (for pixel checks in tests); `single` draws
    /// exactly one larger shape of class `singleClass` inside the image (classification samples).
    static func renderScene(seed: UInt64, size: Int, solidBackground: Bool, single: Bool = false, singleClass: Int = 0,
                            classes: Int = classNames.count) -> Scene {
        var rng = SeededRandom(seed: seed)
        var image = RGBImage(width: size, height: size)
        let style = solidBackground ? .solid : BackgroundStyle(rawValue: rng.uniformInt(below: 4))!
        let palette = drawBackground(&image, style: style, rng: &rng)

        var owner = [Int8](repeating: -1, count: size * size)
        var placed: [Placed] = []
        let target = single ? 1 : 1 + rng.uniformInt(below: 6)
        for _ in 0..<target {
            let color = pickColor(avoiding: palette, objects: placed.map(\.color), rng: &rng)
            for attempt in 0..<60 {
                var shape = randomShape(size: size, rng: &rng, forceInside: single || attempt >= 40, classes: classes)
                if single { shape = singleShape(shape, classIndex: singleClass, size: size, rng: &rng) }
                let mask = Mask(shape)
                if let object = tryPlace(mask, color: color, classIndex: shape.classIndex, image: &image, owner: &owner, placed: &placed) {
                    placed.append(object)
                    break
                }
            }
        }

        let s = Double(size)
        var objects: [SceneObject] = []
        for p in placed where !p.visibleBox.isEmpty {
            let b = p.visibleBox
            let label = Label(classIndex: p.classIndex, x: Double(b.x0 + b.x1 + 1) / 2 / s, y: Double(b.y0 + b.y1 + 1) / 2 / s,
                              width: Double(b.x1 - b.x0 + 1) / s, height: Double(b.y1 - b.y0 + 1) / s)
            objects.append(SceneObject(label: label, color: p.color, unoccluded: p.visiblePixels == p.inImagePixels))
        }
        return Scene(image: image, objects: objects, solidColor: style == .solid ? palette[0] : nil)
    }

    /// Checks the visibility rules for a new shape and, when they hold, draws it and updates the ownership map.
    private static func tryPlace(_ mask: Mask, color: Color, classIndex: Int, image: inout RGBImage, owner: inout [Int8],
                                 placed: inout [Placed]) -> Placed? {
        let size = image.width
        var fullPixels = 0, inImagePixels = 0
        var box = PixelBox()
        var lost = [Int](repeating: 0, count: placed.count)
        for j in 0..<mask.height {
            let y = mask.y0 + j
            for i in 0..<mask.width where mask.coverage[j * mask.width + i] >= Mask.owned {
                fullPixels += 1
                let x = mask.x0 + i
                guard x >= 0, y >= 0, x < size, y < size else { continue }
                inImagePixels += 1
                box.add(x, y)
                let o = Int(owner[y * size + x])
                if o >= 0 { lost[o] += 1 }
            }
        }
        guard fullPixels > 0, Double(inImagePixels) >= 0.55 * Double(fullPixels), !box.isEmpty,
              box.x1 - box.x0 >= 3, box.y1 - box.y0 >= 3 else { return nil }

        func covers(_ x: Int, _ y: Int) -> Bool {
            let i = x - mask.x0, j = y - mask.y0
            return i >= 0 && j >= 0 && i < mask.width && j < mask.height && mask.coverage[j * mask.width + i] >= Mask.owned
        }
        var updated = placed
        for k in placed.indices where lost[k] > 0 {
            let old = placed[k]
            let remaining = old.visiblePixels - lost[k]
            guard Double(remaining) >= 0.65 * Double(old.inImagePixels) else { return nil }
            var visible = PixelBox()
            for y in old.visibleBox.y0...old.visibleBox.y1 {
                for x in old.visibleBox.x0...old.visibleBox.x1 where Int(owner[y * size + x]) == k && !covers(x, y) { visible.add(x, y) }
            }
            guard visible.iou(old.inImageBox) >= 0.85 else { return nil }
            updated[k].visiblePixels = remaining
            updated[k].visibleBox = visible
        }
        placed = updated

        let index = Int8(placed.count)
        for j in 0..<mask.height {
            let y = mask.y0 + j
            guard y >= 0, y < size else { continue }
            for i in 0..<mask.width {
                let x = mask.x0 + i
                let c = Int(mask.coverage[j * mask.width + i])
                guard c > 0, x >= 0, x < size else { continue }
                let p = 3 * (y * size + x)
                let f = Int(Mask.full)
                image.pixels[p] = UInt8((Int(image.pixels[p]) * (f - c) + Int(color.r) * c + f / 2) / f)
                image.pixels[p + 1] = UInt8((Int(image.pixels[p + 1]) * (f - c) + Int(color.g) * c + f / 2) / f)
                image.pixels[p + 2] = UInt8((Int(image.pixels[p + 2]) * (f - c) + Int(color.b) * c + f / 2) / f)
                if c >= Int(Mask.owned) { owner[y * size + x] = index }
            }
        }
        return Placed(classIndex: classIndex, color: color, inImagePixels: inImagePixels, inImageBox: box,
                      visiblePixels: inImagePixels, visibleBox: box)
    }

    /// A classification sample's shape: the given class, 30%–70% of the image side, fully inside.
    private static func singleShape(_ base: Shape, classIndex: Int, size: Int, rng: inout SeededRandom) -> Shape {
        var shape = base
        shape.classIndex = classIndex
        let s = Double(size)
        let side = s * rng.uniformDouble(0.3, 0.7)
        let aspect = exp(rng.uniformDouble(-0.15, 0.15))
        shape.halfWidth = side * aspect.squareRoot() / 2
        shape.halfHeight = side / aspect.squareRoot() / 2
        switch classIndex {
        case 3: shape.parameter = rng.uniformDouble(0.28, 0.38)
        case 4: shape.parameter = rng.uniformDouble(0.45, 0.62)
        default: shape.parameter = 0
        }
        let e = shape.extent
        shape.cx = e.x * 2 < s ? rng.uniformDouble(e.x, s - e.x) : s / 2
        shape.cy = e.y * 2 < s ? rng.uniformDouble(e.y, s - e.y) : s / 2
        return shape
    }

    private static func randomShape(size: Int, rng: inout SeededRandom, forceInside: Bool, classes: Int = classNames.count) -> Shape {
        let s = Double(size)
        let classIndex = rng.uniformInt(below: classes)
        // Object side: log-uniform in 9%…42% of the image, aspect ratio within ±15%.
        let side = s * exp(rng.uniformDouble(log(0.09), log(0.42)))
        let aspect = exp(rng.uniformDouble(-0.15, 0.15))
        let angle: Double
        switch classIndex {
        case 1, 3: angle = rng.uniformDouble(-20, 20) * .pi / 180 // squares and crosses stay upright-ish
        default: angle = rng.uniformDouble(0, 2 * .pi)
        }
        let parameter: Double
        switch classIndex {
        case 3: parameter = rng.uniformDouble(0.28, 0.38)
        case 4: parameter = rng.uniformDouble(0.45, 0.62)
        default: parameter = 0
        }
        var shape = Shape(classIndex: classIndex, cx: 0, cy: 0, halfWidth: side * aspect.squareRoot() / 2,
                          halfHeight: side / aspect.squareRoot() / 2, cosA: cos(angle), sinA: sin(angle), parameter: parameter)
        let e = shape.extent
        if !forceInside && rng.uniformDouble(0, 1) < 0.25 {
            // May cross the border; the in-image share is checked on the pixels.
            shape.cx = rng.uniformDouble(-0.4 * e.x, s + 0.4 * e.x)
            shape.cy = rng.uniformDouble(-0.4 * e.y, s + 0.4 * e.y)
        } else {
            shape.cx = e.x * 2 < s ? rng.uniformDouble(e.x, s - e.x) : s / 2
            shape.cy = e.y * 2 < s ? rng.uniformDouble(e.y, s - e.y) : s / 2
        }
        return shape
    }

    // MARK: Colours and backgrounds

    private static func distance(_ a: Color, _ b: Color) -> Double {
        let dr = Double(a.r) - Double(b.r), dg = Double(a.g) - Double(b.g), db = Double(a.b) - Double(b.b)
        return (dr * dr + dg * dg + db * db).squareRoot()
    }

    private static func randomColor(_ rng: inout SeededRandom) -> Color {
        Color(UInt8(rng.uniformInt(below: 256)), UInt8(rng.uniformInt(below: 256)), UInt8(rng.uniformInt(below: 256)))
    }

    private static func mix(_ a: Color, _ b: Color, _ t: Double) -> Color {
        func m(_ x: UInt8, _ y: UInt8) -> UInt8 { UInt8((Double(x) * (1 - t) + Double(y) * t).rounded()) }
        return Color(m(a.r, b.r), m(a.g, b.g), m(a.b, b.b))
    }

    private static func shift(_ c: Color, _ delta: Int) -> Color {
        func s(_ x: UInt8) -> UInt8 { UInt8(max(0, min(255, Int(x) + delta))) }
        return Color(s(c.r), s(c.g), s(c.b))
    }

    /// A colour far (RGB distance) from every background colour and from the other objects' colours.
    private static func pickColor(avoiding palette: [Color], objects: [Color], rng: inout SeededRandom) -> Color {
        for _ in 0..<300 {
            let c = randomColor(&rng)
            if palette.allSatisfy({ distance($0, c) >= 110 }) && objects.allSatisfy({ distance($0, c) >= 90 }) { return c }
        }
        // Fallback: the most contrasting corner of the RGB cube.
        let corners = (0..<8).map { Color($0 & 1 == 0 ? 0 : 255, $0 & 2 == 0 ? 0 : 255, $0 & 4 == 0 ? 0 : 255) }
        func score(_ c: Color) -> Double { (palette + objects).map { distance($0, c) }.min() ?? 0 }
        return corners.max { score($0) < score($1) }!
    }

    /// Draws the background and returns the colours objects must stand out from.
    private static func drawBackground(_ image: inout RGBImage, style: BackgroundStyle, rng: inout SeededRandom) -> [Color] {
        let size = image.width
        func put(_ x: Int, _ y: Int, _ c: Color) {
            let p = 3 * (y * size + x)
            image.pixels[p] = c.r
            image.pixels[p + 1] = c.g
            image.pixels[p + 2] = c.b
        }
        switch style {
        case .solid:
            let c = randomColor(&rng)
            image.fill(x0: 0, y0: 0, x1: size - 1, y1: size - 1, color: c)
            return [c]
        case .gradient:
            let a = randomColor(&rng), b = randomColor(&rng)
            let angle = rng.uniformDouble(0, 2 * .pi)
            let dx = cos(angle), dy = sin(angle)
            let lo = min(0, dx) * Double(size) + min(0, dy) * Double(size)
            let hi = max(0, dx) * Double(size) + max(0, dy) * Double(size)
            for y in 0..<size {
                for x in 0..<size { put(x, y, mix(a, b, (Double(x) * dx + Double(y) * dy - lo) / (hi - lo))) }
            }
            return (0...4).map { mix(a, b, Double($0) / 4) }
        case .noise:
            let c = randomColor(&rng)
            let amplitude = 6 + rng.uniformInt(below: 11)
            for y in 0..<size {
                for x in 0..<size { put(x, y, shift(c, rng.uniformInt(below: 2 * amplitude + 1) - amplitude)) }
            }
            return [c]
        case .stripes:
            let a = randomColor(&rng)
            let b = shift(a, (rng.uniformInt(below: 2) == 0 ? -1 : 1) * (15 + rng.uniformInt(below: 21)))
            let period = Double(6 + rng.uniformInt(below: 19))
            let angle = rng.uniformDouble(0, .pi)
            let dx = cos(angle), dy = sin(angle)
            for y in 0..<size {
                for x in 0..<size {
                    let t = (Double(x) * dx + Double(y) * dy) / period
                    put(x, y, t - t.rounded(.down) < 0.5 ? a : b)
                }
            }
            return [a, b]
        }
    }
}

/// Per-image results of a parallel run, and its first error.
private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [[Int]?]
    private var error: Error?

    init(count: Int) { values = [[Int]?](repeating: nil, count: count) }

    var firstError: Error? {
        lock.lock()
        defer { lock.unlock() }
        return error
    }

    func set(_ index: Int, _ value: [Int]) {
        lock.lock()
        values[index] = value
        lock.unlock()
    }

    func fail(_ e: Error) {
        lock.lock()
        if error == nil { error = e }
        lock.unlock()
    }
}

fileprivate extension SeededRandom {
    /// Uniform in `0..<n` (n > 0); a fixed mapping, so sequences do not depend on the standard library.
    mutating func uniformInt(below n: Int) -> Int { Int((next() >> 11) % UInt64(n)) }

    /// Uniform in [lo, hi).
    mutating func uniformDouble(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * Double(next() >> 11) / 9_007_199_254_740_992 }
}
