import SwiftnetCore

/// Image dimensions in pixels.
public struct ImageSize: Sendable, Equatable, Hashable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int

    /// Creates a size.
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}

/// Ground truth and detections in darknet's normalized centre form (float32 fractions of the image size).
extension Box {
    /// Converts a COCO pixel box to darknet's normalized form.
    ///
    /// Each coordinate is computed in double (`(x + w/2) / W`, `w / W`, ...) and then rounded to
    /// float32 through its 9-significant-digit decimal form, which is exactly what a YOLO label file
    /// written with `%.9g` and read back with `fscanf("%f")` holds. This makes the COCO-JSON ground
    /// truth route bit-identical to the list + label-file route.
    public init(pixel b: PixelBox, in size: ImageSize) {
        let W = Double(size.width), H = Double(size.height)
        self.init(x: Decimal9.float((b.x + b.width / 2) / W), y: Decimal9.float((b.y + b.height / 2) / H),
                  w: Decimal9.float(b.width / W), h: Decimal9.float(b.height / H))
    }
}

/// A box in COCO pixel form `[x, y, width, height]` (top-left corner and size), in double.
public struct PixelBox: Sendable, Equatable {
    /// Left edge.
    public var x: Double
    /// Top edge.
    public var y: Double
    /// Width.
    public var width: Double
    /// Height.
    public var height: Double

    /// Creates a box from its top-left corner and size.
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// Converts a darknet box to pixels the way `darknet detector valid` (COCO output) does:
    /// corners `x ± w/2`, `y ± h/2` scaled to the image and clipped to `[0, W] × [0, H]`.
    public init(relative r: Box, in size: ImageSize, clip: Bool = true) {
        let W = Double(size.width), H = Double(size.height)
        var x0 = (Double(r.x) - Double(r.w) / 2) * W
        var x1 = (Double(r.x) + Double(r.w) / 2) * W
        var y0 = (Double(r.y) - Double(r.h) / 2) * H
        var y1 = (Double(r.y) + Double(r.h) / 2) * H
        if clip {
            x0 = max(x0, 0)
            y0 = max(y0, 0)
            x1 = min(x1, W)
            y1 = min(y1, H)
        }
        self.init(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }

    /// `width * height`, the area pycocotools' `loadRes` assigns to a detection.
    public var area: Double { width * height }
}

/// pycocotools' `bbIou` (maskApi.c) in double on pixel boxes; a crowd GT uses the detection
/// area as the union.
@inline(__always)
func cocoIoU(dx: Double, dy: Double, dw: Double, dh: Double,
             gx: Double, gy: Double, gw: Double, gh: Double, crowd: Bool) -> Double {
    let iw = min(dw + dx, gw + gx) - max(dx, gx)
    if iw <= 0 { return 0 }
    let ih = min(dh + dy, gh + gy) - max(dy, gy)
    if ih <= 0 { return 0 }
    let i = iw * ih
    let da = dw * dh
    let u = crowd ? da : da + gw * gh - i
    return i / u
}
