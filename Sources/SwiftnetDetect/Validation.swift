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

    /// Images per network pass.
    public let batch: Int

    /// Image paths are opened as listed (relative ones from the working directory, as darknet does); `batch` images
    /// go through the network together.
    public init(network: Network, groundTruth: GroundTruth, batch: Int = 1) throws {
        self.batch = max(1, batch)
        detector = try DetectionPipeline(network: network, letterbox: network.config.net.letterBox, batch: self.batch)
        self.groundTruth = groundTruth
        let classes = detector.classes
        guard groundTruth.categories.count == classes else {
            throw SwiftnetError.invalid("the names file has \(groundTruth.categories.count) classes but the network's last detection layer has classes=\(classes)")
        }
    }

    /// This rank's consecutive share of the list in whole passes of ``batch`` images, so that every image goes
    /// through the same pass (and arithmetic) as in one process.
    public func share(_ collective: Collective) -> Range<Int> {
        let total = groundTruth.images.count
        let passes = collective.share(of: (total + batch - 1) / batch)
        return min(total, passes.lowerBound * batch)..<min(total, passes.upperBound * batch)
    }

    /// Detections of every image in list order (or of the images in `subset`); `progress` receives the number of
    /// images done. `visit` gets each image's index, size and post-NMS detections (relative boxes).
    public func run(threshold: Float, nms: Float, subset: Range<Int>? = nil, progress: ((Int) -> Void)? = nil,
                    visit: (Int, ImageSize, [Detection]) throws -> Void) throws {
        let images = groundTruth.images
        let range = subset ?? 0..<images.count
        let channels = detector.network.channels
        let detector = self.detector
        let batch = self.batch
        // Decoding runs a batch ahead of the network.
        let prefetch = Prefetcher(count: (range.count + batch - 1) / batch) { chunk -> [(Image, Image)] in
            try (range.lowerBound + chunk * batch..<min(range.upperBound, range.lowerBound + (chunk + 1) * batch)).map { i in
                let image = try ImageIO.load(images[i].path, channels: channels)
                return (image, detector.preprocess(image))
            }
        }
        var k = range.lowerBound
        while let chunk = try prefetch.nextItem() {
            detector.forward(chunk.map(\.1))
            for (b, (image, _)) in chunk.enumerated() {
                let detections = detector.detections(image: b, imageWidth: image.width, imageHeight: image.height, threshold: threshold, nms: nms)
                try visit(k, ImageSize(width: image.width, height: image.height), detections)
                k += 1
            }
            progress?(k - range.lowerBound)
        }
    }

    /// `detector map`: detections at threshold 0.005 with NMS 0.45, evaluated with both protocols.
    public func evaluate(options: EvaluationOptions, progress: ((Int) -> Void)? = nil) throws -> EvaluationReport {
        guard let report = try evaluate(options: options, collective: SingleProcess(), progress: progress) else {
            throw SwiftnetError.invalid("no evaluation report")
        }
        return report
    }

    /// `detector map` split across ranks: each rank detects its consecutive share of the list, rank 0 gathers the
    /// detections in list order and evaluates them (the same numbers as one process); the other ranks get nil.
    public func evaluate(options: EvaluationOptions, collective: Collective, progress: ((Int) -> Void)? = nil) throws -> EvaluationReport? {
        let share = share(collective)
        var found: [(Int, [NetworkDetection])] = []
        try run(threshold: 0.005, nms: 0.45, subset: share, progress: progress) { k, _, detections in
            found.append((k, detections.map { NetworkDetection(box: Box(x: $0.box.x, y: $0.box.y, w: $0.box.w, h: $0.box.h),
                                                                probabilities: $0.probabilities) }))
        }
        guard let gathered = try collective.gather(Self.encode(found, classes: detector.classes)) else { return nil }
        var detections = DetectionSet(for: groundTruth)
        for part in gathered {
            for (k, list) in try Self.decode(part, classes: detector.classes) {
                detections.append(list, imageIndex: k, groundTruth: groundTruth)
            }
        }
        return try Evaluator.evaluate(groundTruth: groundTruth, detections: detections, options: options)
    }

    /// Per image: its index and detection count (two UInt32), then per detection the box and every class's
    /// probability (Float32, native byte order: all ranks of a job run the same binary on the same kind of CPU).
    static func encode(_ found: [(Int, [NetworkDetection])], classes: Int) -> [UInt8] {
        var words: [UInt32] = []
        for (k, list) in found {
            words.append(UInt32(truncatingIfNeeded: k))
            words.append(UInt32(list.count))
            for d in list {
                words += [d.box.x, d.box.y, d.box.w, d.box.h].map(\.bitPattern)
                words += d.probabilities.map(\.bitPattern)
                words += [UInt32](repeating: 0, count: max(0, classes - d.probabilities.count))
            }
        }
        return words.withUnsafeBytes { Array($0) }
    }

    static func decode(_ bytes: [UInt8], classes: Int) throws -> [(Int, [NetworkDetection])] {
        let words: [UInt32] = bytes.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
        var result: [(Int, [NetworkDetection])] = []
        var i = 0
        func take(_ n: Int) throws -> ArraySlice<UInt32> {
            guard i + n <= words.count else { throw SwiftnetError.invalid("gathered detections are truncated") }
            defer { i += n }
            return words[i..<(i + n)]
        }
        while i < words.count {
            let header = try take(2)
            let k = Int(header[header.startIndex]), count = Int(header[header.startIndex + 1])
            var list: [NetworkDetection] = []
            for _ in 0..<count {
                let box = try take(4).map(Float.init(bitPattern:))
                let probabilities = try take(classes).map(Float.init(bitPattern:))
                list.append(NetworkDetection(box: Box(x: box[0], y: box[1], w: box[2], h: box[3]), probabilities: probabilities))
            }
            result.append((k, list))
        }
        return result
    }

    /// darknet's 80-class → COCO category id table (`detector.c:coco_ids`).
    public static let cocoCategoryIds: [Int] = Array(1...11) + Array(13...25) + [27, 28] + Array(31...44) + Array(46...65)
        + [67, 70] + Array(72...82) + Array(84...90)

    /// `detector valid` with `eval=coco`: detections at threshold 0.001 with NMS 0.6 as COCO results JSON lines,
    /// boxes in pixels with corners clipped to the image.
    public func cocoResults(categoryIds: [Int], progress: ((Int) -> Void)? = nil) throws -> String {
        try cocoResults(categoryIds: categoryIds, collective: SingleProcess(), progress: progress) ?? ""
    }

    /// ``cocoResults(categoryIds:progress:)`` split across ranks: rank 0 gets every image's lines in list order.
    public func cocoResults(categoryIds: [Int], collective: Collective, progress: ((Int) -> Void)? = nil) throws -> String? {
        var lines: [String] = []
        try run(threshold: 0.001, nms: 0.6, subset: share(collective), progress: progress) { k, size, found in
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
        let mine = Array(lines.joined(separator: ",\n").utf8)
        guard let parts = try collective.gather(mine) else { return nil }
        let all = parts.filter { !$0.isEmpty }.map { String(decoding: $0, as: UTF8.self) }
        return "[\n" + all.joined(separator: ",\n") + "\n]\n"
    }
}

/// Runs a classification network over a labelled image list the way `darknet classifier valid` does (shorter side
/// resized, centre crop, the label taken from each path): top-1, top-k and the mean cross-entropy. Used by
/// `swiftnet valid` for classifiers and by training's evaluations.
public struct ClassifierValidationRun {
    public let classifier: ClassificationPipeline
    /// Image paths with their labels (indices into the names).
    public let samples: [(path: String, label: Int)]

    /// What a run scored: accuracies over every image of the list and the mean of −log p(label).
    public struct Scores: Sendable, Equatable {
        public var images: Int
        public var top1: Double
        public var topK: Double
        public var k: Int
        public var meanLoss: Double
    }

    /// Labels come from the paths (`ClassifierAugment.label(forPath:names:)`); an unlabelled path is an error naming it.
    public init(network: Network, paths: [String], names: [String]) throws {
        try self.init(network: network, samples: try Self.labelled(paths, names: names), classes: names.count)
    }

    /// Samples labelled earlier (``labelled(_:names:)``), for a list evaluated again and again.
    public init(network: Network, samples: [(path: String, label: Int)], classes: Int) throws {
        guard network.outputLayer.outputShape.count == classes else {
            throw SwiftnetError.invalid("\(classes) labels but the network outputs \(network.outputLayer.outputShape.count) classes")
        }
        classifier = ClassificationPipeline(network: network)
        self.samples = samples
    }

    /// Each path with the label its name carries.
    public static func labelled(_ paths: [String], names: [String]) throws -> [(path: String, label: Int)] {
        try paths.map { ($0, try ClassifierAugment.label(forPath: $0, names: names)) }
    }

    /// Scores of the whole list, split across the ranks of `collective` (each classifies its consecutive share; the
    /// counts are summed, so every rank gets the same scores as one process). `progress` gets this rank's images done.
    public func evaluate(k: Int, collective: Collective = SingleProcess(), progress: ((_ done: Int, _ of: Int) -> Void)? = nil) throws -> Scores {
        let share = collective.share(of: samples.count)
        var top1 = 0, topK = 0, loss = 0.0
        for (i, (path, label)) in samples[share].enumerated() {
            let probabilities = classifier.predict(try ImageIO.load(path))
            let best = ClassificationPipeline.topK(probabilities, k: k)
            if best.first == label { top1 += 1 }
            if best.contains(label) { topK += 1 }
            loss -= Foundation.log(max(Double(probabilities[label]), 1e-12))
            progress?(i + 1, share.count)
        }
        let totals = try collective.allreduceSum([Double(top1), Double(topK), loss])
        let n = Double(max(1, samples.count))
        return Scores(images: samples.count, top1: totals[0] / n, topK: totals[1] / n, k: k, meanLoss: totals[2] / n)
    }
}
