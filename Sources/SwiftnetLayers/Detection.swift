import Foundation
import SwiftnetCore

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
    /// Boxes (relative to the network input) of every anchor-cell of image `image` of the batch passing
    /// `threshold`, cell-major then anchor.
    func detections(netWidth: Int, netHeight: Int, threshold: Float, image: Int) -> [Detection]
}

extension DetectionLayer {
    /// The first (or only) image's boxes.
    public func detections(netWidth: Int, netHeight: Int, threshold: Float) -> [Detection] {
        detections(netWidth: netWidth, netHeight: netHeight, threshold: threshold, image: 0)
    }
}
