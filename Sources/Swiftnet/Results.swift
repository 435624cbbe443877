import Foundation

/// How detections are made and kept: darknet's `detector test` options as one value.
public struct DetectionOptions: Sendable, Equatable {
    /// Objects whose class confidence is at or below this are dropped (darknet's `-thresh`, 0.25).
    public var threshold: Float
    /// Overlap above which the weaker of two boxes of a class is suppressed; 0 turns NMS off (darknet's 0.45).
    public var nms: Float
    /// Letterbox the image into the network input; nil follows the cfg's `letter_box`.
    public var letterbox: Bool?

    public init(threshold: Float = 0.25, nms: Float = 0.45, letterbox: Bool? = nil) {
        self.threshold = threshold
        self.nms = nms
        self.letterbox = letterbox
    }
}

/// A box in image pixels: the top-left corner and the size.
public struct PixelBox: Sendable, Equatable, Codable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
}

/// A box relative to the image: centre and size as shares (0…1) of its width and height, as darknet's `-out` JSON
/// writes them.
public struct RelativeBox: Sendable, Equatable, Codable {
    public var centerX: Float
    public var centerY: Float
    public var width: Float
    public var height: Float

    enum CodingKeys: String, CodingKey { case centerX = "center_x", centerY = "center_y", width, height }
}

/// One detected object: a class with its confidence and its box.
public struct DetectedObject: Sendable, Equatable, Codable {
    public var classID: Int
    public var name: String
    public var confidence: Float
    /// The box in the image's pixels (not clipped to the image, as darknet's).
    public var box: PixelBox
    /// The same box relative to the image.
    public var relativeBox: RelativeBox

    enum CodingKeys: String, CodingKey { case classID = "class_id", name, confidence, box, relativeBox = "relative_coordinates" }
}

/// An image size (width × height in pixels).
public struct ImageSizeValue: Sendable, Equatable, Codable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}

/// Where the time of one request went, in milliseconds.
public struct Timing: Sendable, Equatable, Codable {
    /// Reading and decoding the image.
    public var decodeMilliseconds: Double
    /// Waiting for a batch to form and for the network to be free.
    public var queueMilliseconds: Double
    /// The network pass of the batch the image was in (shared by the batch's images).
    public var inferenceMilliseconds: Double
    /// Images in that pass.
    public var batchSize: Int

    enum CodingKeys: String, CodingKey {
        case decodeMilliseconds = "decode_ms", queueMilliseconds = "queue_ms", inferenceMilliseconds = "inference_ms", batchSize = "batch_size"
    }
}

/// What ``Detector`` found in one image.
public struct DetectionResult: Sendable, Equatable, Codable {
    /// The image's size in pixels.
    public var imageSize: ImageSizeValue
    /// The objects in darknet's order (the order of its `-out` JSON).
    public var objects: [DetectedObject]
    public var timing: Timing

    enum CodingKeys: String, CodingKey { case imageSize = "image_size", objects, timing }
}

/// One class of a classification, best first.
public struct Classification: Sendable, Equatable, Codable {
    public var classID: Int
    public var name: String
    public var probability: Float

    enum CodingKeys: String, CodingKey { case classID = "class_id", name, probability }
}

/// What ``Classifier`` found in one image.
public struct ClassificationResult: Sendable, Equatable, Codable {
    public var imageSize: ImageSizeValue
    /// The top classes, most probable first.
    public var classes: [Classification]
    public var timing: Timing

    enum CodingKeys: String, CodingKey { case imageSize = "image_size", classes, timing }
}

/// Interleaved 8-bit RGB pixels, row by row, for ``Detector/detect(pixels:options:)``.
public struct RGBPixels: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// `width × height × 3` bytes.
    public var bytes: [UInt8]

    public init(width: Int, height: Int, bytes: [UInt8]) {
        self.width = width
        self.height = height
        self.bytes = bytes
    }
}
