import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetDetect
import SwiftnetFormat
import SwiftnetLayers

/// A darknet detection model (`.cfg` + `.weights` + class names), ready to detect objects in images.
///
/// One `Detector` holds one copy of the weights and is `Sendable`: any number of tasks can call it at once.
/// Concurrent calls are grouped into batches of up to `maxBatch` images (waiting at most `maxWait` seconds for a
/// batch to fill) and run on the detector's own thread; images are decoded on the callers' tasks meanwhile.
///
/// ```swift
/// let detector = try Detector(cfg: "yolov4.cfg", weights: "yolov4.weights", names: "coco.names")
/// let result = try await detector.detect(imageAt: "dog.jpg")
/// for object in result.objects { print(object.name, object.confidence, object.box) }
/// ```
///
/// The objects are exactly those `swiftnet detect --out` writes (darknet's `-out` JSON) for the same image and
/// options, with boxes in the image's pixels.
public final class Detector: Sendable {
    /// Class names, by class id.
    public let names: [String]
    /// The network's input size.
    public let inputWidth: Int
    public let inputHeight: Int
    /// The options used when a call gives none.
    public let options: DetectionOptions
    /// The cfg and weights files.
    public let cfgPath: String
    public let weightsPath: String
    private let channels: Int

    private let engine: BatchEngine<DetectionRequest, DetectionOutputValue>

    /// Loads a model.
    /// - Parameters:
    ///   - names: a `.names` file; without it classes are named `class_N`.
    ///   - maxBatch: images one network pass may take (the network is allocated for that many).
    ///   - maxWait: seconds a pass waits for more requests once one is waiting.
    ///   - maxQueue: requests that may wait; more are refused with ``DetectorError/overloaded(queued:)``.
    /// - Throws: `SwiftnetError` (a `LocalizedError` with the CLI's message) for a bad cfg, weights or names file.
    public init(cfg: String, weights: String, names: String? = nil, options: DetectionOptions = DetectionOptions(),
                maxBatch: Int = 1, maxWait: Double = 0.002, maxQueue: Int = 1024) throws {
        Gemm.configure()
        let network = try Network(config: NetworkConfig(contentsOf: cfg), batch: max(1, maxBatch))
        _ = try network.loadWeights(path: weights)
        network.foldForInference()
        let pipeline = try DetectionPipeline(network: network, batch: max(1, maxBatch))
        let classNames = try names.map(NamesFile.read) ?? (0..<pipeline.classes).map { "class_\($0)" }
        guard classNames.count >= pipeline.classes else {
            throw SwiftnetError.data(path: names ?? "", line: nil, message: "has \(classNames.count) class names but the network has \(pipeline.classes) classes")
        }
        self.names = Array(classNames.prefix(pipeline.classes))
        inputWidth = network.width
        inputHeight = network.height
        self.options = options
        cfgPath = cfg
        weightsPath = weights
        channels = network.channels
        let resolvedNames = self.names
        engine = BatchEngine(maxBatch: maxBatch, maxWait: maxWait, maxQueue: maxQueue) { requests in
            Self.run(requests, pipeline: pipeline, names: resolvedNames)
        }
    }

    deinit { engine.stop() }

    /// Detects objects in an image file (JPEG or PNG; darknet's exact JPEG pixels).
    public func detect(imageAt path: String, options: DetectionOptions? = nil) async throws -> DetectionResult {
        let start = DispatchTime.now().uptimeNanoseconds
        let image = try ImageIO.readRGB(path)
        return try await detect(image, decodeStart: start, options: options)
    }

    /// Detects objects in encoded image bytes (JPEG or PNG).
    public func detect(data: Data, options: DetectionOptions? = nil) async throws -> DetectionResult {
        let start = DispatchTime.now().uptimeNanoseconds
        let image = try ImageIO.decode(data, path: "<data>")
        return try await detect(image, decodeStart: start, options: options)
    }

    /// Detects objects in decoded RGB pixels.
    public func detect(pixels: RGBPixels, options: DetectionOptions? = nil) async throws -> DetectionResult {
        guard pixels.width > 0, pixels.height > 0, pixels.bytes.count == pixels.width * pixels.height * 3 else {
            throw SwiftnetError.invalid("RGB pixels: \(pixels.bytes.count) bytes for \(pixels.width)×\(pixels.height)×3")
        }
        return try await detect(RGBImage(width: pixels.width, height: pixels.height, pixels: pixels.bytes),
                                decodeStart: DispatchTime.now().uptimeNanoseconds, options: options)
    }

    /// Requests waiting for the network (for load reporting).
    public var queueDepth: Int { engine.queueDepth }

    /// Called after each network pass with the number of images it took and its milliseconds.
    public func onPass(_ observer: @escaping @Sendable (Int, Double) -> Void) { engine.observer = observer }

    private func detect(_ rgb: RGBImage, decodeStart: UInt64, options: DetectionOptions?) async throws -> DetectionResult {
        let request = DetectionRequest(image: rgb.toImage(channels: channels), options: options ?? self.options)
        let decode = Double(DispatchTime.now().uptimeNanoseconds - decodeStart) / 1e6
        let (output, pass) = try await engine.submit(request)
        return DetectionResult(imageSize: ImageSizeValue(width: rgb.width, height: rgb.height), objects: output.objects,
                               timing: Timing(decodeMilliseconds: decode, queueMilliseconds: pass.queueMilliseconds,
                                              inferenceMilliseconds: pass.inferenceMilliseconds, batchSize: pass.batchSize))
    }

    /// One batch on the engine's thread: preprocess, one network pass, then each image's boxes.
    private static func run(_ requests: [DetectionRequest], pipeline: DetectionPipeline, names: [String]) -> [Result<DetectionOutputValue, Error>] {
        let inputs = requests.map { pipeline.preprocess($0.image, letterbox: $0.options.letterbox) }
        pipeline.forward(inputs)
        return requests.enumerated().map { b, request in
            let w = request.image.width, h = request.image.height
            let detections = pipeline.detections(image: b, imageWidth: w, imageHeight: h, threshold: request.options.threshold,
                                                 nms: request.options.nms, letterbox: request.options.letterbox)
            let objects = DetectionOutput.objects(detections, names: names).map { o in
                DetectedObject(classID: o.classID, name: names[o.classID], confidence: o.confidence,
                               box: PixelBox(x: Double(o.box.x - o.box.w / 2) * Double(w), y: Double(o.box.y - o.box.h / 2) * Double(h),
                                             width: Double(o.box.w) * Double(w), height: Double(o.box.h) * Double(h)),
                               relativeBox: RelativeBox(centerX: o.box.x, centerY: o.box.y, width: o.box.w, height: o.box.h))
            }
            return .success(DetectionOutputValue(objects: objects))
        }
    }
}

struct DetectionRequest: Sendable {
    var image: Image
    var options: DetectionOptions
}

struct DetectionOutputValue: Sendable {
    var objects: [DetectedObject]
}
