import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetFormat
import SwiftnetLayers

/// Runs a classification network the way `darknet classifier predict` does: shorter side resized to the network
/// width, centre crop, forward, top-k of the output layer.
public final class ClassificationPipeline {
    public let network: Network

    public init(network: Network) {
        self.network = network
        network.setBatch(1)
        // Only the output layer is read after a pass: the other outputs share buffers by liveness.
        network.planMemory()
    }

    /// darknet's `resize_min` + centre `crop_image` to the network size.
    public func preprocess(_ image: Image) -> Image {
        let side = network.width
        var w = image.width, h = image.height
        if w < h {
            h = (h * side) / w
            w = side
        } else {
            w = (w * side) / h
            h = side
        }
        // Only the centre crop of the resized image is computed (a very tall or wide image is never resized whole).
        return image.resizedWindow(width: w, height: h, x: (w - network.width) / 2, y: (h - network.height) / 2,
                                   cropWidth: network.width, cropHeight: network.height)
    }

    /// Output probabilities of the network's output layer for an image.
    public func predict(_ image: Image) -> [Float] {
        let input = preprocess(image)
        input.data.withUnsafeBufferPointer { network.input.pointer.update(from: $0.baseAddress!, count: input.data.count) }
        network.forward()
        let layer = network.outputLayer
        return Array(UnsafeBufferPointer(start: layer.output.pointer, count: layer.outputShape.count))
    }

    /// Indices of the `k` largest values, highest first; ties keep the lower index.
    public static func topK(_ values: [Float], k: Int) -> [Int] {
        Array(values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }.prefix(max(0, k)))
    }
}
