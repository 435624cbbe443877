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
    private let share: Range<Int>

    /// `share`: the images of each batch this process keeps (one rank's part; default all). Classifier batches draw
    /// their mixing partners in rounds over the whole batch, so every rank makes the whole batch and keeps its share.
    public init(dataset: TrainingDataset, net: NetConfig, width: Int, height: Int, imagesPerBatch: Int, share: Range<Int>? = nil, seed: UInt64) {
        self.dataset = dataset
        params = ClassifierAugmentParameters(net: net, classes: dataset.classes)
        params.width = width
        params.height = height
        self.imagesPerBatch = imagesPerBatch
        self.share = share ?? 0..<imagesPerBatch
        super.init(seed: seed, label: "swiftnet.loader.classify")
    }

    public override func setSize(width: Int, height: Int) {
        params.width = width
        params.height = height
    }

    override func job(seed: UInt64) -> () throws -> TrainingBatch {
        let (count, share, dataset, params) = (imagesPerBatch, self.share, self.dataset, self.params)
        return {
            let batch = try Self.load(count: count, seed: seed, dataset: dataset, params: params)
            return share == 0..<count ? batch : batch.slice(share)
        }
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
