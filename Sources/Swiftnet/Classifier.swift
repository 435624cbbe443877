import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetDetect
import SwiftnetFormat
import SwiftnetLayers

/// A darknet classification model (a cfg whose output is `[softmax]`), giving the top classes of an image as
/// `darknet classifier predict` does: shorter side resized to the network width, centre crop, top-k.
///
/// `Sendable` like ``Detector``: calls from many tasks share one copy of the weights and run one after another on
/// the classifier's thread.
public final class Classifier: Sendable {
    public let names: [String]
    public let inputWidth: Int
    public let inputHeight: Int
    /// Classes returned when a call does not say (darknet's default 5).
    public let top: Int
    private let channels: Int
    private let engine: BatchEngine<ClassificationRequest, [Classification]>

    public init(cfg: String, weights: String, names: String? = nil, top: Int = 5, maxQueue: Int = 1024) throws {
        Gemm.configure()
        let network = try Network(config: NetworkConfig(contentsOf: cfg), batch: 1)
        guard network.outputLayer is SoftmaxLayer else {
            throw SwiftnetError.invalid("\(cfg): not a classifier (its output layer is not [softmax])")
        }
        _ = try network.loadWeights(path: weights)
        network.foldForInference()
        let classes = network.outputLayer.outputShape.count
        let classNames = try names.map(NamesFile.read) ?? (0..<classes).map { "class_\($0)" }
        guard classNames.count >= classes else {
            throw SwiftnetError.data(path: names ?? "", line: nil, message: "has \(classNames.count) class names but the network outputs \(classes) classes")
        }
        self.names = Array(classNames.prefix(classes))
        inputWidth = network.width
        inputHeight = network.height
        self.top = max(1, top)
        channels = network.channels
        let pipeline = ClassificationPipeline(network: network)
        let resolved = self.names
        engine = BatchEngine(maxBatch: 1, maxWait: 0, maxQueue: maxQueue) { requests in
            requests.map { request in
                let probabilities = pipeline.predict(request.image)
                return .success(ClassificationPipeline.topK(probabilities, k: min(request.top, resolved.count)).map {
                    Classification(classID: $0, name: resolved[$0], probability: probabilities[$0])
                })
            }
        }
    }

    deinit { engine.stop() }

    /// The top classes of an image file.
    public func classify(imageAt path: String, top: Int? = nil) async throws -> ClassificationResult {
        let start = DispatchTime.now().uptimeNanoseconds
        return try await classify(try ImageIO.readRGB(path), start: start, top: top)
    }

    /// The top classes of encoded image bytes (JPEG or PNG).
    public func classify(data: Data, top: Int? = nil) async throws -> ClassificationResult {
        let start = DispatchTime.now().uptimeNanoseconds
        return try await classify(try ImageIO.decode(data, path: "<data>"), start: start, top: top)
    }

    /// The top classes of decoded RGB pixels.
    public func classify(pixels: RGBPixels, top: Int? = nil) async throws -> ClassificationResult {
        guard pixels.width > 0, pixels.height > 0, pixels.bytes.count == pixels.width * pixels.height * 3 else {
            throw SwiftnetError.invalid("RGB pixels: \(pixels.bytes.count) bytes for \(pixels.width)×\(pixels.height)×3")
        }
        return try await classify(RGBImage(width: pixels.width, height: pixels.height, pixels: pixels.bytes),
                                  start: DispatchTime.now().uptimeNanoseconds, top: top)
    }

    private func classify(_ rgb: RGBImage, start: UInt64, top: Int?) async throws -> ClassificationResult {
        let request = ClassificationRequest(image: rgb.toImage(channels: channels), top: max(1, top ?? self.top))
        let decode = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        let (classes, pass) = try await engine.submit(request)
        return ClassificationResult(imageSize: ImageSizeValue(width: rgb.width, height: rgb.height), classes: classes,
                                    timing: Timing(decodeMilliseconds: decode, queueMilliseconds: pass.queueMilliseconds,
                                                   inferenceMilliseconds: pass.inferenceMilliseconds, batchSize: pass.batchSize))
    }
}

struct ClassificationRequest: Sendable {
    var image: Image
    var top: Int
}
