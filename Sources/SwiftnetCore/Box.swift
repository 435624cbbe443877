import Foundation

/// A box in darknet's convention (`box` in darknet's `box.h`): centre `(x, y)` and size `(w, h)` in float32,
/// as fractions of the image width and height unless stated otherwise. Detection, the losses and the darknet
/// evaluation protocol share it, so every IoU is darknet's `box_iou` with the same operation order.
public struct Box: Equatable, Sendable {
    /// Centre x.
    public var x: Float
    /// Centre y.
    public var y: Float
    /// Width.
    public var w: Float
    /// Height.
    public var h: Float

    /// Creates a box from its centre and size.
    public init(x: Float, y: Float, w: Float, h: Float) {
        self.x = x
        self.y = y
        self.w = w
        self.h = h
    }

    /// Overlap of two 1-D intervals given by centre and size (negative when disjoint).
    @inline(__always) public static func overlap(_ x1: Float, _ w1: Float, _ x2: Float, _ w2: Float) -> Float {
        let left = max(x1 - w1 / 2, x2 - w2 / 2)
        let right = min(x1 + w1 / 2, x2 + w2 / 2)
        return right - left
    }

    /// Area of the overlap of two boxes (0 when disjoint).
    public func intersection(_ b: Box) -> Float {
        let w = Box.overlap(x, self.w, b.x, b.w)
        let h = Box.overlap(y, self.h, b.y, b.h)
        if w < 0 || h < 0 { return 0 }
        return w * h
    }

    /// darknet's `box_iou`: 0 when the intersection or the union is 0.
    public func iou(_ b: Box) -> Float {
        let i = intersection(b)
        let u = w * h + b.w * b.h - i
        if i == 0 || u == 0 { return 0 }
        return i / u
    }

    /// `IoU − (ρ²/c²)^β` with ρ the centre distance and c the enclosing box's diagonal (`box_diou`, `box_diounms`).
    public func diou(_ b: Box, beta: Float) -> Float {
        let top = min(y - h / 2, b.y - b.h / 2)
        let bottom = max(y + h / 2, b.y + b.h / 2)
        let left = min(x - w / 2, b.x - b.w / 2)
        let right = max(x + w / 2, b.x + b.w / 2)
        let cw = right - left, ch = bottom - top
        let c = cw * cw + ch * ch
        let iou = self.iou(b)
        if c == 0 { return iou }
        let d = (x - b.x) * (x - b.x) + (y - b.y) * (y - b.y)
        return iou - Float(pow(Double(d / c), Double(beta)))
    }
}
