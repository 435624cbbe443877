import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetEval
import SwiftnetFormat
import SwiftnetLayers

/// Runs a detection network over a validation image list, the way `darknet detector map` and `detector valid` do:
/// letterbox only from the cfg, a fixed detection threshold and NMS of the last `[yolo]`'s kind.
public struct ValidationRun {
    public let detector: DetectionPipeline
    public let groundTruth: GroundTruth

    /// Image paths are opened as listed (relative ones from the working directory, as darknet does).
    public init(network: Network, groundTruth: GroundTruth) throws {
        detector = try DetectionPipeline(network: network, letterbox: network.config.net.letterBox)
        self.groundTruth = groundTruth
        let classes = detector.classes
        guard groundTruth.categories.count == classes else {
            throw SwiftnetError.invalid("the names file has \(groundTruth.categories.count) classes but the network's last detection layer has classes=\(classes)")
        }
    }

    /// Detections of every image in list order; `progress` receives the number of images done.
    /// `visit` gets each image's index, size and post-NMS detections (relative boxes).
    public func run(threshold: Float, nms: Float, progress: ((Int) -> Void)? = nil,
                    visit: (Int, ImageSize, [Detection]) throws -> Void) throws {
        let images = groundTruth.images
        let channels = detector.network.channels
        let detector = self.detector
        let prefetch = Prefetcher(count: images.count) { k -> (Image, Image) in
            let image = try ImageIO.load(images[k].path, channels: channels)
            return (image, detector.preprocess(image))
        }
        var k = 0
        while let (image, input) = try prefetch.nextItem() {
            detector.forward(input)
            let detections = detector.detections(imageWidth: image.width, imageHeight: image.height, threshold: threshold, nms: nms)
            try visit(k, ImageSize(width: image.width, height: image.height), detections)
            k += 1
            progress?(k)
        }
    }

    /// `detector map`: detections at threshold 0.005 with NMS 0.45, evaluated with both protocols.
    public func evaluate(options: EvaluationOptions, progress: ((Int) -> Void)? = nil) throws -> EvaluationReport {
        var detections = DetectionSet(for: groundTruth)
        try run(threshold: 0.005, nms: 0.45, progress: progress) { k, _, found in
            detections.append(found.map { NetworkDetection(box: Box(x: $0.box.x, y: $0.box.y, w: $0.box.w, h: $0.box.h),
                                                           probabilities: $0.probabilities) },
                              imageIndex: k, groundTruth: groundTruth)
        }
        return try Evaluator.evaluate(groundTruth: groundTruth, detections: detections, options: options)
    }

    /// darknet's 80-class → COCO category id table (`detector.c:coco_ids`).
    public static let cocoCategoryIds: [Int] = Array(1...11) + Array(13...25) + [27, 28] + Array(31...44) + Array(46...65)
        + [67, 70] + Array(72...82) + Array(84...90)

    /// `detector valid` with `eval=coco`: detections at threshold 0.001 with NMS 0.6 as COCO results JSON lines,
    /// boxes in pixels with corners clipped to the image.
    public func cocoResults(categoryIds: [Int], progress: ((Int) -> Void)? = nil) throws -> String {
        var lines: [String] = []
        try run(threshold: 0.001, nms: 0.6, progress: progress) { k, size, found in
            let imageID = groundTruth.images[k].id
            let w = Float(size.width), h = Float(size.height)
            for d in found {
                let b = d.box
                var xmin = (b.x - b.w / 2) * w, xmax = (b.x + b.w / 2) * w
                var ymin = (b.y - b.h / 2) * h, ymax = (b.y + b.h / 2) * h
                xmin = max(xmin, 0); ymin = max(ymin, 0); xmax = min(xmax, w); ymax = min(ymax, h)
                for (c, p) in d.probabilities.enumerated() where p > 0 {
                    lines.append(String(format: "{\"image_id\":%d, \"category_id\":%d, \"bbox\":[%f, %f, %f, %f], \"score\":%f}",
                                        imageID, categoryIds[c], Double(xmin), Double(ymin), Double(xmax - xmin), Double(ymax - ymin), Double(p)))
                }
            }
        }
        return "[\n" + lines.joined(separator: ",\n") + "\n]\n"
    }
}
