import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetDetect
import SwiftnetEval
import SwiftnetFormat
import SwiftnetLayers

/// What differs between training a detector and a classifier — the data check, the loader and its targets, the loss
/// the output reports, and the metric on the valid list — so that one training loop serves both.
public protocol TrainingTask: AnyObject {
    /// The cfg's network learns to classify (a `[softmax]` output) rather than detect (`[yolo]` heads).
    var isClassifier: Bool { get }
    /// The metric `--map` prints during training ("mean average precision (mAP@0.50)", "top-1 accuracy").
    var metricName: String { get }
    /// The last `[yolo]` (multi-scale training and augmentation read it); nil for classifiers.
    var lastYolo: YoloConfig? { get }
    /// `check-data` of the given lists or images.
    func check(lists: [ImageList], dataset: TrainingDataset) -> DataCheckReport
    func check(images: [String], dataset: TrainingDataset) -> DataCheckReport
    /// The background loader of this task's batches (each rank its `share` of every batch of `imagesPerIteration`).
    func makeLoader(dataset: TrainingDataset, net: NetConfig, network: Network, cfgPath: String, imagesPerIteration: Int,
                    share: Range<Int>, seed: UInt64) throws -> BatchLoader
    /// The loss of the last forward pass, as the output reports it (nil: the output computes none).
    func cost(of network: Network) -> Float?
    /// Reads the labels of the validation images (once).
    func loadValidation(paths: [String], dataset: TrainingDataset) throws
    var hasValidation: Bool { get }
    /// The `--map` number: mAP@0.5 or top-1 on the valid list, the same on every rank.
    func metric(network: Network, collective: Collective) throws -> Float
    /// Everything a finished run is judged by (``Trainer/evaluate()``).
    func evaluate(network: Network, collective: Collective) throws -> Trainer.Evaluation
}

/// Training a detector: `[yolo]` heads, boxes from the label files, darknet's mAP@0.5 (and COCO AP at the end).
public final class DetectorTask: TrainingTask {
    public let yolo: YoloConfig
    private var validation: GroundTruth?

    public init(lastYolo: YoloConfig) { yolo = lastYolo }

    public var isClassifier: Bool { false }
    public var metricName: String { "mean average precision (mAP@0.50)" }
    public var lastYolo: YoloConfig? { yolo }
    public var hasValidation: Bool { validation != nil }

    public func check(lists: [ImageList], dataset: TrainingDataset) -> DataCheckReport { DataCheck.check(lists: lists, classes: dataset.classes) }
    public func check(images: [String], dataset: TrainingDataset) -> DataCheckReport { DataCheck.check(images: images, classes: dataset.classes) }

    public func makeLoader(dataset: TrainingDataset, net: NetConfig, network: Network, cfgPath: String, imagesPerIteration: Int,
                           share: Range<Int>, seed: UInt64) throws -> BatchLoader {
        var params = AugmentParameters(net: net, lastYolo: yolo)
        params.width = network.width
        params.height = network.height
        try SwiftnetError.attributing(toCfg: cfgPath, line: net.line) { try params.validate() }
        return DetectionLoader(dataset: dataset, params: params, imagesPerBatch: imagesPerIteration, share: share, seed: seed)
    }

    public func cost(of network: Network) -> Float? { network.cost }

    public func loadValidation(paths: [String], dataset: TrainingDataset) throws {
        // Image sizes (from the headers) give the pixel boxes that COCO AP needs.
        validation = try GroundTruth.loadDarknetImages(paths, names: dataset.names, options: DarknetListOptions(readImageHeaders: true))
    }

    public func metric(network: Network, collective: Collective) throws -> Float {
        guard let validation else { return 0 }
        let run = try ValidationRun(network: network, groundTruth: validation)
        let report = try run.evaluate(options: EvaluationOptions(darknet: DarknetOptions(), runCOCO: false), collective: collective)
        // Rank 0 evaluated; the others add 0 and learn its number.
        return Float(try collective.allreduceSum([report?.darknet?.meanAveragePrecision ?? 0])[0])
    }

    public func evaluate(network: Network, collective: Collective) throws -> Trainer.Evaluation {
        guard let validation else { return Trainer.Evaluation() }
        let run = try ValidationRun(network: network, groundTruth: validation)
        let report = try run.evaluate(options: EvaluationOptions(darknet: DarknetOptions(), runCOCO: true), collective: collective)
        // NaN: not computed (a protocol that could not run on these inputs).
        let values = try collective.allreduceSum(collective.isLeader ? [report?.darknet?.meanAveragePrecision ?? .nan, report?.coco?.stats.ap ?? .nan] : [0, 0])
        return Trainer.Evaluation(map50: values[0].isNaN ? nil : values[0], cocoAP: values[1].isNaN ? nil : values[1])
    }
}

/// Training a classifier: a `[softmax]` output, labels from the image paths, top-1 / top-5 accuracy.
public final class ClassifierTask: TrainingTask {
    private var validation: [(path: String, label: Int)]?
    private var classes = 0

    public init() {}

    public var isClassifier: Bool { true }
    public var metricName: String { "top-1 accuracy" }
    public var lastYolo: YoloConfig? { nil }
    public var hasValidation: Bool { validation != nil }

    public func check(lists: [ImageList], dataset: TrainingDataset) -> DataCheckReport { DataCheck.checkClassification(lists: lists, names: dataset.names) }
    public func check(images: [String], dataset: TrainingDataset) -> DataCheckReport { DataCheck.checkClassification(images: images, names: dataset.names) }

    public func makeLoader(dataset: TrainingDataset, net: NetConfig, network: Network, cfgPath: String, imagesPerIteration: Int,
                           share: Range<Int>, seed: UInt64) throws -> BatchLoader {
        try SwiftnetError.attributing(toCfg: cfgPath, line: net.line) {
            try ClassifierAugmentParameters(net: net, classes: dataset.classes).validate()
        }
        return ClassificationLoader(dataset: dataset, net: net, width: network.width, height: network.height,
                                    imagesPerBatch: imagesPerIteration, share: share, seed: seed)
    }

    public func cost(of network: Network) -> Float? { (network.outputLayer as? SoftmaxLayer)?.crossEntropy }

    public func loadValidation(paths: [String], dataset: TrainingDataset) throws {
        // Every path must carry a label; read here, before training starts.
        validation = try ClassifierValidationRun.labelled(paths, names: dataset.names)
        classes = dataset.names.count
    }

    private func scores(network: Network, k: Int, collective: Collective) throws -> ClassifierValidationRun.Scores? {
        guard let validation, !validation.isEmpty else { return nil }
        return try ClassifierValidationRun(network: network, samples: validation, classes: classes).evaluate(k: k, collective: collective)
    }

    public func metric(network: Network, collective: Collective) throws -> Float {
        Float(try scores(network: network, k: 1, collective: collective)?.top1 ?? 0)
    }

    public func evaluate(network: Network, collective: Collective) throws -> Trainer.Evaluation {
        guard let s = try scores(network: network, k: 5, collective: collective) else { return Trainer.Evaluation() }
        return Trainer.Evaluation(top1: s.top1, top5: s.topK, loss: s.meanLoss)
    }
}
