import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetFormat
import SwiftnetLayers

/// Runs a detection network on images the way `darknet detector test` does: darknet's resize (or letterbox),
/// forward, decode of every `[yolo]`/`[region]` layer, box correction to the image, and NMS of the last layer's kind.
public final class DetectionPipeline {
    public let network: Network
    /// Letterbox input images (the cfg's `letter_box`, or forced).
    public var letterbox: Bool
    /// Milliseconds of the last forward pass.
    public private(set) var lastForwardMilliseconds: Double = 0

    /// Images one forward pass can take (the network's batch).
    public var capacity: Int { network.batch }

    /// `batch`: how many images one forward pass takes (the network is allocated for that many).
    public init(network: Network, letterbox: Bool? = nil, batch: Int = 1) throws {
        guard !network.detectionLayers.isEmpty else {
            throw SwiftnetError.invalid("\(network.path): the network has no [yolo] or [region] layer, so it does not detect boxes")
        }
        self.network = network
        self.letterbox = letterbox ?? network.config.net.letterBox
        network.setBatch(max(1, batch))
        // Only the heads are read after a pass: the other outputs share buffers by liveness.
        network.planMemory()
    }

    public var classes: Int { network.detectionLayers.last?.classes ?? 0 }

    /// NMS kind and DIoU exponent from the last `[yolo]` layer.
    public var nmsKind: (kind: NMSKind, beta: Float) {
        if let yolo = network.layers.last(where: { $0 is YoloLayer }) as? YoloLayer {
            return (yolo.config.nmsKind, yolo.config.betaNMS)
        }
        return (.default, 0.6)
    }

    /// The network input for an image: darknet's resize or letterbox (default: ``letterbox``) to the network size.
    public func preprocess(_ image: Image, letterbox: Bool? = nil) -> Image {
        letterbox ?? self.letterbox ? image.letterboxed(width: network.width, height: network.height)
                                    : image.resized(width: network.width, height: network.height)
    }

    /// Runs the network on an already preprocessed image.
    public func forward(_ input: Image) { forward([input]) }

    /// Runs the network on up to ``capacity`` preprocessed images in one pass.
    public func forward(_ inputs: [Image]) {
        precondition(!inputs.isEmpty && inputs.count <= capacity, "\(inputs.count) images for a batch of \(capacity)")
        let size = network.width * network.height * network.channels
        for (b, input) in inputs.enumerated() {
            precondition(input.width == network.width && input.height == network.height && input.channels == network.channels)
            input.data.withUnsafeBufferPointer { network.input.pointer.advanced(by: b * size).update(from: $0.baseAddress!, count: size) }
        }
        let start = DispatchTime.now().uptimeNanoseconds
        network.forward(images: inputs.count)
        lastForwardMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }

    /// Boxes of image `image` of the last forward pass, relative to an image of the given size, after NMS (`nms` ≤ 0
    /// disables it).
    public func detections(image: Int = 0, imageWidth: Int, imageHeight: Int, threshold: Float, nms: Float, letterbox: Bool? = nil) -> [Detection] {
        var all: [Detection] = []
        for layer in network.detectionLayers {
            all += layer.detections(netWidth: network.width, netHeight: network.height, threshold: threshold, image: image)
        }
        correctBoxes(&all, imageWidth: imageWidth, imageHeight: imageHeight, netWidth: network.width,
                     netHeight: network.height, letterbox: letterbox ?? self.letterbox)
        if nms > 0 {
            let (kind, beta) = nmsKind
            NMS.apply(&all, classes: classes, threshold: nms, kind: kind, beta: beta)
        }
        return all
    }

    /// Preprocess, forward and decode in one call.
    public func detect(_ image: Image, threshold: Float = 0.25, nms: Float = 0.45) -> [Detection] {
        forward(preprocess(image))
        return detections(imageWidth: image.width, imageHeight: image.height, threshold: threshold, nms: nms)
    }
}
