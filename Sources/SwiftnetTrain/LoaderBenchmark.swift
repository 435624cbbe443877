import Foundation
import SwiftnetData
import SwiftnetFormat
import SwiftnetLayers

/// Throughput of the training data loader (decode + augmentation on one background thread).
public enum LoaderBenchmark {
    public struct Result {
        public var width: Int
        public var height: Int
        public var images: Int
        public var mode: String
        public var imagesPerSecond: Double
    }

    public static func run(config: NetworkConfig, cfgPath: String, dataPath: String, images: Int, runs: Int,
                           width: Int?, height: Int?) throws -> Result {
        let network = try Network(config: config, batch: 1, width: width, height: height, allocate: false)
        let yolo = network.layers.last { $0 is YoloLayer } as? YoloLayer
        let classes = yolo?.config.classes ?? network.outputLayer.outputShape.count
        let dataset = try TrainingDataset(dataPath: dataPath, networkClasses: classes, cfgPath: cfgPath, classifier: yolo == nil)
        let loader: BatchLoader
        var mode = "classification"
        if let yolo {
            var params = AugmentParameters(net: config.net, lastYolo: yolo.config)
            params.width = network.width
            params.height = network.height
            mode = "\(try params.detectionMixing())"
            loader = DetectionLoader(dataset: dataset, params: params, imagesPerBatch: images, seed: 1)
        } else {
            loader = ClassificationLoader(dataset: dataset, net: config.net, width: network.width, height: network.height,
                                          imagesPerBatch: images, seed: 1)
        }
        _ = try loader.next()
        var times: [Double] = []
        for _ in 0..<max(1, runs) {
            let start = Date()
            _ = try loader.next()
            times.append(Date().timeIntervalSince(start))
        }
        times.sort()
        return Result(width: network.width, height: network.height, images: images, mode: mode,
                      imagesPerSecond: Double(images) / times[times.count / 2])
    }
}
