import SwiftnetCore
/// One detection entry: one box with one class, as both protocols rank them.
public struct DetectionRecord: Sendable, Equatable {
    /// Index into ``GroundTruth/categories``.
    public var classIndex: Int
    /// darknet's float32 class probability (`obj * cls`).
    public var probability: Float
    /// The COCO `score` (for file inputs the value as written; for network output the probability).
    public var score: Double
    /// Normalized box for the darknet protocol; nil when it cannot be derived (unknown image size).
    public var relative: Box?
    /// Pixel box for the COCO protocol; nil when it cannot be derived (unknown image size).
    public var pixel: PixelBox?

    /// Creates a record; see the properties.
    public init(classIndex: Int, probability: Float, score: Double, relative: Box?, pixel: PixelBox?) {
        self.classIndex = classIndex
        self.probability = probability
        self.score = score
        self.relative = relative
        self.pixel = pixel
    }
}

/// One network detection after NMS (darknet's `detection`): a normalized box and the
/// probability of every class (0 for classes the network suppressed).
public struct NetworkDetection: Sendable, Equatable {
    /// Normalized box (darknet `bbox` after `correct_yolo_boxes`).
    public var box: Box
    /// Probability per class index (`prob[j]`), 0 when suppressed.
    public var probabilities: [Float]

    /// Creates a detection.
    public init(box: Box, probabilities: [Float]) {
        self.box = box
        self.probabilities = probabilities
    }
}

/// What a detection loader skipped or noticed.
public struct DetectionDiagnostics: Sendable, Equatable {
    /// Entries read from the input (file entries, or class entries with probability > 0).
    public var read = 0
    /// Entries kept.
    public var accepted = 0
    /// Entries for images not in the ground truth (skipped).
    public var unknownImage = SkipReport()
    /// Entries for classes/categories not in the ground truth (skipped).
    public var unknownClass = SkipReport()
    /// Entries with a non-finite score or box (skipped).
    public var invalidValue = SkipReport()

    /// Empty diagnostics.
    public init() {}

    /// Entries skipped for any reason.
    public var skipped: Int { unknownImage.count + unknownClass.count + invalidValue.count }
}

/// Detections grouped per ground-truth image, each image's entries in darknet array order
/// (box order, then class order; for files: file order).
///
/// Order matters: darknet's TP/FP at the confidence threshold depends on it, and both protocols
/// break score ties by it.
public struct DetectionSet: Sendable {
    /// Entries per image, aligned with ``GroundTruth/images``.
    public internal(set) var perImage: [[DetectionRecord]]
    /// Skipped entries and counts.
    public var diagnostics = DetectionDiagnostics()

    /// An empty set for `imageCount` images.
    public init(imageCount: Int) {
        perImage = Array(repeating: [], count: imageCount)
    }

    /// An empty set for the images of `groundTruth`.
    public init(for groundTruth: GroundTruth) {
        self.init(imageCount: groundTruth.images.count)
    }

    /// Total number of entries.
    public var count: Int { perImage.reduce(0) { $0 + $1.count } }

    /// Appends one entry to image `imageIndex` (entries of an image must be appended in darknet
    /// array order). Out-of-range images or classes are skipped and reported.
    public mutating func append(_ record: DetectionRecord, imageIndex: Int, classCount: Int) {
        diagnostics.read += 1
        guard imageIndex >= 0, imageIndex < perImage.count else {
            diagnostics.unknownImage.add("image index \(imageIndex)")
            return
        }
        guard record.classIndex >= 0, record.classIndex < classCount else {
            diagnostics.unknownClass.add("class \(record.classIndex)")
            return
        }
        guard record.score.isFinite, record.probability.isFinite else {
            diagnostics.invalidValue.add("non-finite score in image \(imageIndex)")
            return
        }
        perImage[imageIndex].append(record)
        diagnostics.accepted += 1
    }

    /// Appends a live network's detections for one image, in darknet's post-NMS array order.
    ///
    /// Each detection yields one entry per class with probability > 0, in class order, exactly
    /// as `validate_detector_map` enumerates them. The COCO box is derived like `detector valid`
    /// does (corners clipped to the image) when the image size is known.
    public mutating func append(_ detections: [NetworkDetection], imageIndex: Int, groundTruth: GroundTruth) {
        let size = groundTruth.images.indices.contains(imageIndex) ? groundTruth.images[imageIndex].size : nil
        let classCount = groundTruth.categories.count
        for d in detections {
            let pixel = size.map { PixelBox(relative: d.box, in: $0) }
            for (c, p) in d.probabilities.enumerated() where p > 0 {
                append(DetectionRecord(classIndex: c, probability: p, score: Double(p), relative: d.box, pixel: pixel),
                       imageIndex: imageIndex, classCount: classCount)
            }
        }
    }

    /// Reserves room for `count` entries of image `imageIndex`.
    mutating func reserve(_ count: Int, imageIndex: Int) {
        perImage[imageIndex].reserveCapacity(count)
    }
}
