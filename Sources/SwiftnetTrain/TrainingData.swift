import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetEval
import SwiftnetFormat
import SwiftnetLayers

/// The dataset side of a training run, read from a darknet `.data` file (spec §5.1) through ``DarknetDataset`` and
/// checked against the cfg before any compute. Relative paths are relative to the working directory, as in darknet.
public struct TrainingDataset {
    public var dataPath: String
    public var dataset: DarknetDataset
    public var classes: Int
    public var names: [String]
    public var trainPaths: [String]
    /// The training list.
    public var trainList: ImageList
    /// The validation list file, when the `.data` file names one.
    public var validList: String?
    public var backup: String
    public var saveWeightsEvery: Int?
    public var saveLastEvery: Int?

    /// Reads the `.data` file and the lists it names. `networkClasses` is the last `[yolo]`'s `classes` (or the
    /// classifier's output count): `.data classes` and the names (classifiers: `labels=`) file must agree with it.
    public init(dataPath: String, networkClasses: Int, cfgPath: String, classifier: Bool = false) throws {
        dataset = try DarknetDataset(contentsOf: dataPath)
        let data = dataset.file
        self.dataPath = dataPath
        guard let train = try dataset.imageList("train", what: "the list of training images") else {
            throw SwiftnetError.data(path: dataPath, line: nil, message: "no train= entry (the list of training images)")
        }
        trainList = train
        trainPaths = train.paths
        guard !trainPaths.isEmpty else {
            throw SwiftnetError.data(path: train.path, line: nil, message: "the training list is empty")
        }
        if let declared = try data.classes(), declared != networkClasses {
            throw SwiftnetError.data(path: dataPath, line: data.entries["classes"]?.line,
                                     message: classifier ? "classes=\(declared) but \(cfgPath) outputs \(networkClasses) classes"
                                                         : "classes=\(declared) but \(cfgPath) has classes=\(networkClasses) in its last [yolo] layer")
        }
        classes = networkClasses
        if let read = try dataset.classNames(classifier: classifier) {
            names = read
            guard names.count == networkClasses else {
                let key = classifier && data.entries["labels"] != nil ? "labels" : "names"
                throw SwiftnetError.data(path: data.string(key) ?? dataPath, line: nil,
                                         message: "has \(names.count) class names but \(cfgPath) has classes=\(networkClasses)")
            }
        } else if classifier {
            throw SwiftnetError.data(path: dataPath, line: nil, message: "a classifier needs labels= (class names matched in image paths)")
        } else {
            names = (0..<networkClasses).map { "class_\($0)" }
        }
        validList = try dataset.existingPath("valid", what: "the list of validation images")
        backup = dataset.backup
        saveWeightsEvery = try data.int("saveweights")
        saveLastEvery = try data.int("savelast")
        for (key, value) in [("saveweights", saveWeightsEvery), ("savelast", saveLastEvery)] {
            if let value, value < 1 {
                throw SwiftnetError.data(path: dataPath, line: data.entries[key]?.line, message: "\(key)=\(value): must be at least 1 (iterations between checkpoints)")
            }
        }
    }
}

/// One iteration's worth of training samples (all subdivisions), ready to copy into the network input.
public struct TrainingBatch {
    public var width: Int
    public var height: Int
    /// `images × 3 × height × width` floats.
    public var input: [Float]
    /// Detection: boxes per image.
    public var truths: [[LabelBox]]
    /// Classification: `images × classes` target probabilities.
    public var targets: [Float] = []
    /// The list entries each image was made from (several with mosaic, mixup or cutmix).
    public var paths: [[String]]

    public init(width: Int, height: Int, input: [Float], truths: [[LabelBox]], targets: [Float] = [], paths: [[String]]) {
        self.width = width
        self.height = height
        self.input = input
        self.truths = truths
        self.targets = targets
        self.paths = paths
    }

    /// Images `range` of this batch.
    public func slice(_ range: Range<Int>) -> TrainingBatch {
        let size = 3 * width * height
        let classes = truths.isEmpty && !paths.isEmpty ? targets.count / paths.count : 0
        return TrainingBatch(width: width, height: height, input: Array(input[(range.lowerBound * size)..<(range.upperBound * size)]),
                             truths: truths.isEmpty ? [] : Array(truths[range]),
                             targets: classes == 0 ? [] : Array(targets[(range.lowerBound * classes)..<(range.upperBound * classes)]),
                             paths: Array(paths[range]))
    }

    /// The targets of images `range` (one subdivision).
    public func truth(images range: Range<Int>, classes: Int) -> TrainingTruth {
        if targets.isEmpty { return TrainingTruth(boxes: Array(truths[range])) }
        return TrainingTruth(vectors: Array(targets[(range.lowerBound * classes)..<(range.upperBound * classes)]))
    }
}

/// A source of training batches, loading one iteration ahead on a background queue.
public protocol BatchLoader: AnyObject {
    func prefetch()
    func next() throws -> TrainingBatch
    /// Network input size for batches scheduled from now on.
    func setSize(width: Int, height: Int)
}

/// The background-queue machinery shared by the loaders: one batch is always being prepared while the trainer
/// computes; subclasses say how to build a batch from a seed (`job(seed:)`, capturing their current settings).
public class PrefetchingLoader: BatchLoader {
    private final class Pending: @unchecked Sendable {
        var result: Result<TrainingBatch, Error>?
        let ready = DispatchSemaphore(value: 0)
        let work: () throws -> TrainingBatch

        init(_ work: @escaping () throws -> TrainingBatch) { self.work = work }

        func run() {
            result = Result { try work() }
            ready.signal()
        }
    }

    private var rng: SeededRandom
    private let queue: DispatchQueue
    private var pending: Pending?

    init(seed: UInt64, label: String) {
        rng = SeededRandom(seed: seed)
        queue = DispatchQueue(label: label, qos: .userInitiated)
    }

    /// The work that builds one batch from `seed` with the loader's current settings (override).
    func job(seed: UInt64) -> () throws -> TrainingBatch { { throw SwiftnetError.invalid("no loader job") } }

    public func setSize(width: Int, height: Int) {}

    /// Starts loading the next batch if none is pending.
    public func prefetch() {
        guard pending == nil else { return }
        let job = Pending(job(seed: rng.next()))
        queue.async { job.run() }
        pending = job
    }

    /// The next batch (waits for it), and starts loading the one after.
    public func next() throws -> TrainingBatch {
        prefetch()
        let job = pending!
        job.ready.wait()
        pending = nil
        prefetch()
        return try job.result!.get()
    }

    deinit { pending?.ready.wait() }
}

/// Loads and augments detection batches (spec §5.3: jitter, flip, HSV, mosaic/MixUp/CutMix, blur, noise); images
/// are drawn uniformly at random with replacement from the training list.
public final class DetectionLoader: PrefetchingLoader {
    private let dataset: TrainingDataset
    private var params: AugmentParameters
    private let imagesPerBatch: Int
    private let share: Range<Int>
    /// Label files that were missing (background images), reported once each.
    public private(set) var missingLabels = Set<String>()
    private let lock = NSLock()

    /// `share`: the images of each batch of `imagesPerBatch` this process loads (one rank's part; default all). Each
    /// image is drawn with its own generator, so a batch is the same images however it is shared out.
    public init(dataset: TrainingDataset, params: AugmentParameters, imagesPerBatch: Int, share: Range<Int>? = nil, seed: UInt64) {
        self.dataset = dataset
        self.params = params
        self.imagesPerBatch = imagesPerBatch
        self.share = share ?? 0..<imagesPerBatch
        super.init(seed: seed, label: "swiftnet.loader.detect")
    }

    public override func setSize(width: Int, height: Int) {
        params.width = width
        params.height = height
    }

    override func job(seed: UInt64) -> () throws -> TrainingBatch {
        let (count, share, dataset, params) = (imagesPerBatch, self.share, self.dataset, self.params)
        return { [weak self] in try Self.load(count: count, share: share, seed: seed, dataset: dataset, params: params, loader: self) }
    }

    func noteMissing(_ path: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return missingLabels.insert(path).inserted
    }

    /// darknet splits an iteration's images over several loader threads, each flipping its own mixing coin: the
    /// batch is drawn in six such shares. Image k of the batch and the mixing of its share have their own generators
    /// (streams of the batch seed), so loading images `share` gives exactly those images of the whole batch.
    private static func load(count: Int, share: Range<Int>, seed: UInt64, dataset: TrainingDataset, params: AugmentParameters,
                             loader: DetectionLoader?) throws -> TrainingBatch {
        let size = 3 * params.width * params.height
        var input = [Float](repeating: 0, count: share.count * size)
        var truths: [[LabelBox]] = []
        var paths: [[String]] = []
        var drawn: [String] = []
        let source: DetectionBatchAugment.Source = { rng in
            let path = dataset.trainPaths[rng.randomIndex(below: dataset.trainPaths.count)]
            let image = try ImageIO.readRGB(path)
            var boxes: [LabelBox] = []
            if let labelPath = DarknetDataset.labelPath(forImage: path) {
                if let labels = try YOLOLabelFile.read(path: labelPath) {
                    boxes = labels
                } else if loader?.noteMissing(labelPath) == true {
                    fputs("warning: \(labelPath): no label file; \(path) is used as a background image\n", stderr)
                }
            }
            drawn.append(path)
            return (image, boxes)
        }
        let shareSize = max(1, (count + 5) / 6)
        var mixings: [Int: DetectionMixing] = [:]
        for (slot, k) in share.enumerated() {
            let part = k / shareSize
            if mixings[part] == nil {
                var mixRng = SeededRandom(seed: seed, stream: UInt64(1 << 32) + UInt64(part))
                mixings[part] = try DetectionBatchAugment.drawMixing(params: params, rng: &mixRng)
            }
            var rng = SeededRandom(seed: seed, stream: UInt64(k))
            let info = try input.withUnsafeMutableBufferPointer { buffer in
                try DetectionBatchAugment.sample(mixing: mixings[part]!, params: params, rng: &rng,
                                                 into: UnsafeMutableBufferPointer(rebasing: buffer[(slot * size)..<((slot + 1) * size)]),
                                                 source: source)
            }
            truths.append(info.labels)
            paths.append(drawn)
            drawn.removeAll()
        }
        return TrainingBatch(width: params.width, height: params.height, input: input, truths: truths, paths: paths)
    }
}
