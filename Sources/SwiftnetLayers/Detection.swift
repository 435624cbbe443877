import Foundation

/// A box in darknet's convention: centre and size, relative units unless stated otherwise.
public struct Box: Equatable, Sendable {
    public var x: Float
    public var y: Float
    public var w: Float
    public var h: Float

    public init(x: Float, y: Float, w: Float, h: Float) {
        self.x = x
        self.y = y
        self.w = w
        self.h = h
    }

    /// Overlap of two 1-D intervals given by centre and size (negative when disjoint).
    @inline(__always) static func overlap(_ x1: Float, _ w1: Float, _ x2: Float, _ w2: Float) -> Float {
        let left = max(x1 - w1 / 2, x2 - w2 / 2)
        let right = min(x1 + w1 / 2, x2 + w2 / 2)
        return right - left
    }

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

/// One candidate box of a detection layer with its objectness and per-class probabilities (`objectness·class`,
/// zeroed below the threshold), as darknet's `detection`.
public struct Detection: Sendable {
    public var box: Box
    public var objectness: Float
    public var probabilities: [Float]

    public init(box: Box, objectness: Float, probabilities: [Float]) {
        self.box = box
        self.objectness = objectness
        self.probabilities = probabilities
    }

    /// The best class with probability above `threshold` (first maximum wins), as darknet's drawing code picks it.
    public func bestClass(above threshold: Float) -> Int? {
        var best: Int? = nil
        var bestProbability = threshold
        for (k, p) in probabilities.enumerated() where p > bestProbability {
            best = k
            bestProbability = p
        }
        return best
    }
}

/// Maps boxes from network-input coordinates back to the original image (darknet's `correct_yolo_boxes`), in place.
/// With letterbox, the unfloored half-difference is subtracted, as darknet does.
public func correctBoxes(_ detections: inout [Detection], imageWidth: Int, imageHeight: Int, netWidth: Int, netHeight: Int, letterbox: Bool) {
    var newW = netWidth, newH = netHeight
    if letterbox {
        if Float(netWidth) / Float(imageWidth) < Float(netHeight) / Float(imageHeight) {
            newW = netWidth
            newH = (imageHeight * netWidth) / imageWidth
        } else {
            newH = netHeight
            newW = (imageWidth * netHeight) / imageHeight
        }
    }
    let deltaW = Float(netWidth - newW), deltaH = Float(netHeight - newH)
    let ratioW = Float(newW) / Float(netWidth), ratioH = Float(newH) / Float(netHeight)
    for i in detections.indices {
        var b = detections[i].box
        b.x = Float((Double(b.x) - Double(deltaW) / 2.0 / Double(netWidth)) / Double(ratioW))
        b.y = Float((Double(b.y) - Double(deltaH) / 2.0 / Double(netHeight)) / Double(ratioH))
        b.w *= 1 / ratioW
        b.h *= 1 / ratioH
        detections[i].box = b
    }
}

/// A layer whose output can be decoded into boxes (`[yolo]`, `[region]`).
public protocol DetectionLayer: AnyObject {
    var classes: Int { get }
    /// Boxes (relative to the network input) of every anchor-cell passing `threshold`, cell-major then anchor.
    func detections(netWidth: Int, netHeight: Int, threshold: Float) -> [Detection]
}
