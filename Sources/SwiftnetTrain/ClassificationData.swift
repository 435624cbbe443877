import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetFormat

/// Loads classification batches (spec §5.5: crop/aspect/angle, flip, HSV, CutMix/Mosaic/MixUp, label smoothing),
/// images drawn uniformly at random with replacement, as darknet's classifier training does.
public final class ClassificationLoader: PrefetchingLoader {
    private let dataset: TrainingDataset
    private var params: ClassifierAugmentParameters
    private let imagesPerBatch: Int

    public init(dataset: TrainingDataset, net: NetConfig, width: Int, height: Int, imagesPerBatch: Int, seed: UInt64) {
        self.dataset = dataset
        params = ClassifierAugmentParameters(net: net, classes: dataset.classes)
        params.width = width
        params.height = height
        self.imagesPerBatch = imagesPerBatch
        super.init(seed: seed, label: "swiftnet.loader.classify")
    }

    public override func setSize(width: Int, height: Int) {
        params.width = width
        params.height = height
    }

    override func job(seed: UInt64) -> () throws -> TrainingBatch {
        let (count, dataset, params) = (imagesPerBatch, self.dataset, self.params)
        return { try Self.load(count: count, seed: seed, dataset: dataset, params: params) }
    }

    static func load(count: Int, seed: UInt64, dataset: TrainingDataset, params: ClassifierAugmentParameters) throws -> TrainingBatch {
        var rng = SeededRandom(seed: seed)
        // ClassifierAugment.batch draws its sources in rounds of `count` (first images, then mixing partners).
        var paths = [[String]](repeating: [], count: count)
        var drawn = 0
        let samples = try ClassifierAugment.batch(count: count, params: params, rng: &rng) { rng in
            let path = dataset.trainPaths[rng.randomIndex(below: dataset.trainPaths.count)]
            paths[drawn % count].append(path)
            drawn += 1
            return (try ImageIO.readRGB(path), try ClassifierAugment.label(forPath: path, names: dataset.names))
        }
        return TrainingBatch(width: params.width, height: params.height, input: samples.flatMap(\.image.data), truths: [],
                             targets: samples.flatMap(\.targets), paths: paths)
    }
}
