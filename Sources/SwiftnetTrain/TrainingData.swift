import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetEval
import SwiftnetFormat
import SwiftnetLayers

/// The dataset side of a training run, read from a darknet `.data` file (spec §5.1) and checked against the cfg
/// before any compute.
public struct TrainingDataset {
    public var dataPath: String
    public var classes: Int
    public var names: [String]
    public var trainPaths: [String]
    public var validList: String?
    public var backup: String
    /// Resolves list entries (relative to the working directory, or to the `.data` folder when that is where they are).
    public var base: String?
    public var saveWeightsEvery: Int?
    public var saveLastEvery: Int?

    /// Reads the `.data` file and the lists it names. `networkClasses` is the last `[yolo]`'s `classes` (or the
    /// classifier's output count): `.data classes` and the names file must agree with it.
    public init(dataPath: String, networkClasses: Int, cfgPath: String) throws {
        let data = try DataFile(contentsOf: dataPath)
        self.dataPath = dataPath
        let folder = URL(fileURLWithPath: dataPath).deletingLastPathComponent().path
        func locate(_ value: String) -> String? {
            if value.hasPrefix("/") || FileManager.default.fileExists(atPath: value) { return nil }
            return FileManager.default.fileExists(atPath: folder + "/" + value) ? folder : nil
        }
        guard let train = data.string("train") else {
            throw SwiftnetError.data(path: dataPath, line: data.entries["train"]?.line, message: "no train= entry (the list of training images)")
        }
        let trainBase = locate(train)
        base = trainBase
        let trainList = Self.join(trainBase, train)
        guard FileManager.default.fileExists(atPath: trainList) else {
            throw SwiftnetError.data(path: dataPath, line: data.entries["train"]?.line, message: "train list \(train) does not exist")
        }
        trainPaths = textLines(try readTextFile(trainList)).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !trainPaths.isEmpty else {
            throw SwiftnetError.data(path: trainList, line: nil, message: "the training list is empty")
        }
        if let declared = try data.int("classes"), declared != networkClasses {
            throw SwiftnetError.data(path: dataPath, line: data.entries["classes"]?.line,
                                     message: "classes=\(declared) but \(cfgPath) has classes=\(networkClasses) in its last [yolo] layer")
        }
        classes = networkClasses
        if let namesValue = data.string("names") {
            let namesPath = data.resolve(namesValue)
            names = try NamesFile.read(namesPath)
            guard names.count == networkClasses else {
                throw SwiftnetError.data(path: namesPath, line: nil,
                                         message: "has \(names.count) class names but \(cfgPath) has classes=\(networkClasses)")
            }
        } else {
            names = (0..<networkClasses).map { "class_\($0)" }
        }
        validList = data.string("valid").map { Self.join(locate($0) ?? trainBase, $0) }
        backup = data.string("backup").map { Self.join(locate($0), $0) } ?? "backup"
        saveWeightsEvery = try data.int("saveweights")
        saveLastEvery = try data.int("savelast")
    }

    static func join(_ base: String?, _ path: String) -> String {
        guard let base, !path.hasPrefix("/") else { return path }
        return base + "/" + path
    }

    public func resolve(_ path: String) -> String { Self.join(base, path) }
}

/// One iteration's worth of training samples (all subdivisions), ready to copy into the network input.
public struct TrainingBatch {
    public var width: Int
    public var height: Int
    /// `images × 3 × height × width` floats.
    public var input: [Float]
    public var truths: [[LabelBox]]
    public var paths: [String]
}

/// Loads and augments training batches on a background queue, one iteration ahead of the trainer (darknet's
/// loader threads): images are drawn uniformly at random with replacement from the training list.
public final class DetectionLoader {
    private final class Pending: @unchecked Sendable {
        var result: Result<TrainingBatch, Error>?
        let ready = DispatchSemaphore(value: 0)
    }

    private let dataset: TrainingDataset
    private var params: AugmentParameters
    private let imagesPerBatch: Int
    private var rng: SeededRandom
    private let queue = DispatchQueue(label: "swiftnet.loader", qos: .userInitiated)
    private var pending: Pending?
    /// Label files that were missing (background images), reported once each.
    public private(set) var missingLabels = Set<String>()
    private let lock = NSLock()

    public init(dataset: TrainingDataset, params: AugmentParameters, imagesPerBatch: Int, seed: UInt64) {
        self.dataset = dataset
        self.params = params
        self.imagesPerBatch = imagesPerBatch
        rng = SeededRandom(seed: seed)
    }

    /// Network input size for batches scheduled from now on.
    public func setSize(width: Int, height: Int) {
        params.width = width
        params.height = height
    }

    /// Starts loading the next batch if none is pending.
    public func prefetch() {
        guard pending == nil else { return }
        let job = Pending()
        let params = self.params
        let count = imagesPerBatch
        var seeds: [UInt64] = []
        var picks: [String] = []
        for _ in 0..<count {
            picks.append(dataset.trainPaths[Int(rng.next() % UInt64(dataset.trainPaths.count))])
            seeds.append(rng.next())
        }
        let dataset = self.dataset
        queue.async { [weak self] in
            job.result = Result { try Self.load(picks: picks, seeds: seeds, dataset: dataset, params: params, loader: self) }
            job.ready.signal()
        }
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

    func noteMissing(_ path: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return missingLabels.insert(path).inserted
    }

    private static func load(picks: [String], seeds: [UInt64], dataset: TrainingDataset, params: AugmentParameters,
                             loader: DetectionLoader?) throws -> TrainingBatch {
        let size = 3 * params.width * params.height
        var input = [Float](repeating: 0, count: picks.count * size)
        var truths: [[LabelBox]] = []
        for (k, path) in picks.enumerated() {
            let resolved = dataset.resolve(path)
            let image = try ImageIO.readRGB(resolved)
            var boxes: [LabelBox] = []
            if let labelPath = PathRules.labelPath(forImage: resolved) {
                if let labels = try YOLOLabelFile.read(path: labelPath) {
                    boxes = labels
                } else if loader?.noteMissing(labelPath) == true {
                    FileHandle.standardError.write(Data("warning: \(labelPath): no label file; \(path) is used as a background image\n".utf8))
                }
            }
            var rng = SeededRandom(seed: seeds[k])
            let labels = input.withUnsafeMutableBufferPointer { buffer in
                DetectionAugment.augment(image: image, boxes: boxes, params: params, rng: &rng,
                                         into: UnsafeMutableBufferPointer(rebasing: buffer[(k * size)..<((k + 1) * size)]))
            }
            truths.append(labels)
        }
        return TrainingBatch(width: params.width, height: params.height, input: input, truths: truths, paths: picks)
    }
}
