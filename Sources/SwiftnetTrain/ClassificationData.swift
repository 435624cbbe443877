import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetFormat

/// Loads classification batches on a background queue, one iteration ahead (images drawn uniformly at random with
/// replacement, as darknet's classifier training does).
public final class ClassificationLoader: BatchLoader {
    private final class Pending: @unchecked Sendable {
        var result: Result<TrainingBatch, Error>?
        let ready = DispatchSemaphore(value: 0)
    }

    private let dataset: TrainingDataset
    private let net: NetConfig
    private var width: Int
    private var height: Int
    private let imagesPerBatch: Int
    private var rng: SeededRandom
    private let queue = DispatchQueue(label: "swiftnet.loader.classify", qos: .userInitiated)
    private var pending: Pending?

    public init(dataset: TrainingDataset, net: NetConfig, width: Int, height: Int, imagesPerBatch: Int, seed: UInt64) {
        self.dataset = dataset
        self.net = net
        self.width = width
        self.height = height
        self.imagesPerBatch = imagesPerBatch
        rng = SeededRandom(seed: seed)
    }

    public func setSize(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public func prefetch() {
        guard pending == nil else { return }
        let job = Pending()
        var params = ClassifierAugmentParameters(net: net, classes: dataset.classes)
        params.width = width
        params.height = height
        let (dataset, count, seed) = (self.dataset, imagesPerBatch, rng.next())
        queue.async {
            job.result = Result { try Self.load(count: count, seed: seed, dataset: dataset, params: params) }
            job.ready.signal()
        }
        pending = job
    }

    public func next() throws -> TrainingBatch {
        prefetch()
        let job = pending!
        job.ready.wait()
        pending = nil
        prefetch()
        return try job.result!.get()
    }

    static func load(count: Int, seed: UInt64, dataset: TrainingDataset, params: ClassifierAugmentParameters) throws -> TrainingBatch {
        var rng = SeededRandom(seed: seed)
        var paths: [String] = []
        let samples = try ClassifierAugment.batch(count: count, params: params, rng: &rng) { rng in
            let path = dataset.trainPaths[rng.randomIndex(below: dataset.trainPaths.count)]
            paths.append(path)
            return (try ImageIO.readRGB(dataset.resolve(path)), try ClassifierAugment.label(forPath: path, names: dataset.names))
        }
        return TrainingBatch(width: params.width, height: params.height, input: samples.flatMap(\.image.data), truths: [],
                             targets: samples.flatMap(\.targets), paths: paths)
    }
}
