import SwiftnetCore
import SwiftnetData
import SwiftnetFormat
import XCTest

/// Saturated RGB-cube corners in complementary pairs: on a mid-grey background equal areas of each pair keep the
/// image's mean colour grey, and a blend of one colour with grey is always nearer to that colour than any other
/// colour is.
let cornerColours: [[Float]] = [[255, 0, 0], [0, 255, 255], [0, 255, 0], [255, 0, 255], [0, 0, 255], [255, 255, 0]]
let sceneGrey: [Float] = [128, 128, 128]

/// A synthetic labelled image: solid rectangles on grey, each its own class and a class-specific colour.
struct TestScene {
    var image: RGBImage
    var boxes: [LabelBox]
    /// Colour (0…255) of each class in `boxes`, by class id.
    var colourOf: [Int: [Float]]

    /// `rects` in pixels `(x, y, width, height)`; rectangle k gets class `firstClass + k` and colour
    /// `cornerColours[k % 6]`.
    init(width: Int, height: Int, rects: [(Int, Int, Int, Int)], firstClass: Int = 0) {
        var image = RGBImage(width: width, height: height)
        for i in 0..<(width * height * 3) { image.pixels[i] = 128 }
        var boxes: [LabelBox] = []
        var colours: [Int: [Float]] = [:]
        for (k, r) in rects.enumerated() {
            let c = cornerColours[k % 6]
            for y in r.1..<(r.1 + r.3) {
                for x in r.0..<(r.0 + r.2) {
                    for ch in 0..<3 { image.pixels[3 * (y * width + x) + ch] = UInt8(c[ch]) }
                }
            }
            let cls = firstClass + k
            boxes.append(LabelBox(classID: cls, x: (Float(r.0) + Float(r.2) / 2) / Float(width),
                                  y: (Float(r.1) + Float(r.3) / 2) / Float(height),
                                  w: Float(r.2) / Float(width), h: Float(r.3) / Float(height)))
            colours[cls] = c
        }
        self.image = image
        self.boxes = boxes
        self.colourOf = colours
    }

    /// Six equal rectangles in a 3×2 grid covering most of the image.
    static func grid(width: Int, height: Int, firstClass: Int = 0) -> TestScene {
        let rw = width * 13 / 48, rh = height * 11 / 36
        var rects: [(Int, Int, Int, Int)] = []
        for y in [4, height - 4 - rh] { for x in [4, (width - rw) / 2, width - 4 - rw] { rects.append((x, y, rw, rh)) } }
        return TestScene(width: width, height: height, rects: rects, firstClass: firstClass)
    }

    /// Six rectangles in two columns × three rows inside the horizontal band `[x0, x1)` (fractions of the width).
    static func band(width: Int, height: Int, from x0: Float, to x1: Float, firstClass: Int) -> TestScene {
        let left = Int(x0 * Float(width)), right = Int(x1 * Float(width))
        let gap = 6
        let rw = (right - left - gap) / 2, rh = (height - 4 * gap) / 3
        var rects: [(Int, Int, Int, Int)] = []
        for row in 0..<3 { for col in 0..<2 { rects.append((left + col * (rw + gap), gap + row * (rh + gap), rw, rh)) } }
        return TestScene(width: width, height: height, rects: rects, firstClass: firstClass)
    }
}

/// A pixel box `(x0, y0, x1, y1)`, edges in pixels.
typealias PixelBox = (Float, Float, Float, Float)

func pixelBox(_ b: LabelBox, width: Int, height: Int) -> PixelBox {
    let fw = Float(width), fh = Float(height)
    return ((b.x - b.w / 2) * fw, (b.y - b.h / 2) * fh, (b.x + b.w / 2) * fw, (b.y + b.h / 2) * fh)
}

func clip(_ b: PixelBox, to r: MixRect) -> PixelBox {
    (max(b.0, Float(r.x)), max(b.1, Float(r.y)), min(b.2, Float(r.x + r.width)), min(b.3, Float(r.y + r.height)))
}

func boxIoU(_ a: PixelBox, _ b: PixelBox) -> Float {
    let iw = max(0, min(a.2, b.2) - max(a.0, b.0)), ih = max(0, min(a.3, b.3) - max(a.1, b.1))
    let inter = iw * ih
    let union = (a.2 - a.0) * (a.3 - a.1) + (b.2 - b.0) * (b.3 - b.1) - inter
    return union > 0 ? inter / union : 0
}

/// Extent and count of the pixels (where `include(x, y)`) nearer to `colour` than to `background` (0…255 scale).
func colourExtent(_ colour: [Float], background: [Float] = sceneGrey, in image: Image,
                  where include: (Int, Int) -> Bool = { _, _ in true }) -> (box: PixelBox, count: Int)? {
    let plane = image.width * image.height
    var x0 = Int.max, y0 = Int.max, x1 = -1, y1 = -1, count = 0
    image.data.withUnsafeBufferPointer { d in
        for y in 0..<image.height {
            for x in 0..<image.width where include(x, y) {
                let i = y * image.width + x
                var dc: Float = 0, db: Float = 0
                for k in 0..<3 {
                    let v = d[k * plane + i] * 255
                    dc += (v - colour[k]) * (v - colour[k])
                    db += (v - background[k]) * (v - background[k])
                }
                if dc < db {
                    count += 1
                    x0 = min(x0, x); x1 = max(x1, x + 1); y0 = min(y0, y); y1 = max(y1, y + 1)
                }
            }
        }
    }
    return x1 < 0 ? nil : ((Float(x0), Float(y0), Float(x1), Float(y1)), count)
}

/// Checks a label's pixel box against the visible pixel extent: IoU ≥ 0.95 for boxes at least `iouSide` px on
/// each side, else every edge within `slack` pixels. Returns the IoU.
@discardableResult
func assertMatches(_ box: PixelBox, _ seen: PixelBox, slack: Float, iouSide: Float = 40, _ message: @autoclosure () -> String,
                   file: StaticString = #filePath, line: UInt = #line) -> Float {
    let overlap = boxIoU(box, seen)
    if box.2 - box.0 >= iouSide && box.3 - box.1 >= iouSide {
        XCTAssertGreaterThanOrEqual(overlap, 0.95, "\(message()): label \(box) vs pixels \(seen)", file: file, line: line)
    } else {
        for (a, b) in [(box.0, seen.0), (box.1, seen.1), (box.2, seen.2), (box.3, seen.3)] {
            XCTAssertEqual(a, b, accuracy: slack, "\(message()): label \(box) vs pixels \(seen)", file: file, line: line)
        }
    }
    return overlap
}

/// A source that hands out `scenes` in turn (ignoring the random generator), counting the calls.
final class SceneCycle {
    let scenes: [TestScene]
    var next = 0

    init(_ scenes: [TestScene]) { self.scenes = scenes }

    func draw(_ rng: inout SeededRandom) -> (image: RGBImage, boxes: [LabelBox]) {
        let s = scenes[next % scenes.count]
        next += 1
        return (s.image, s.boxes)
    }
}
