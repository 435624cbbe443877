import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetDetect
import SwiftnetEval
import SwiftnetFormat
import SwiftnetLayers

/// What `swiftnet train` was asked to do.
public struct TrainOptions {
    public var cfgPath: String
    public var dataPath: String
    public var weightsPath: String?
    /// Overrides the `.data` file's `backup` directory.
    public var backup: String?
    /// Restart the iteration count (and schedule) at 0 even when the weights carry a `seen` count.
    public var clear = false
    public var maxBatches: Int?
    public var seed: UInt64 = 1
    /// Evaluate mAP@0.5 on the valid list during training (and keep `_best.weights`).
    public var map = false
    public var mapInterval: Int?
    public var width: Int?
    public var height: Int?
    /// `--set` overrides applied to the cfg.
    public var overrides: [CfgOverride] = []
    /// Train on the images that pass `check-data`, listing the others, instead of refusing the dataset.
    public var skipBad = false
    /// The ranks training together (`mpirun`): each loads and computes its share of every batch, the gradients are
    /// summed, rank 0 alone logs and writes. Default: one process.
    public var collective: Collective = SingleProcess()
    /// With several ranks: batch-norm normalises with the statistics of every rank's mini-batch (`--sync-bn`), so N
    /// ranks train as one process whose mini-batch is theirs together; off, each rank's own (as PyTorch's DDP).
    public var syncBatchNorm = false

    public init(cfgPath: String, dataPath: String) {
        self.cfgPath = cfgPath
        self.dataPath = dataPath
    }
}

/// The outcome of a training run.
public struct TrainSummary {
    public var startIteration: Int
    public var iterations: Int
    public var lastLoss: Float
    public var averageLoss: Float
    public var bestMAP: Float?
    public var lastMAP: Float?
    public var seconds: Double
    public var imagesPerSecond: Double
    /// Seconds spent exchanging gradients and statistics between ranks (0 for one process).
    public var communicationSeconds: Double
    public var interrupted: Bool
    /// The weights file written last (`_final` unless interrupted).
    public var weightsPath: String
}

/// A training failure that is not a file problem (NaN loss, …).
public struct TrainingError: Error, CustomStringConvertible {
    public var description: String
}

/// darknet's detector training loop (spec §5.2–5.10): batches of `batch` images split into `subdivisions`
/// forward/backward passes, one SGD update per iteration with the cfg's schedule, checkpoints in `backup`.
public final class Trainer {
    public let options: TrainOptions
    public private(set) var config: NetworkConfig
    public let network: Network
    public let dataset: TrainingDataset
    public let name: String
    public let backup: String
    public internal(set) var iteration = 0
    public let maxBatches: Int
    /// Images of one iteration over all ranks (the cfg's batch, with darknet's integer division by subdivisions).
    public let imagesPerIteration: Int
    /// The ranks training together; rank 0 logs and writes.
    public let collective: Collective
    /// Images of one forward/backward pass on this rank, and passes per iteration: the cfg's mini-batch and
    /// subdivisions for one process; with N ranks each trains batch/N images in passes of the cfg's mini-batch
    /// (or the largest that divides batch/N).
    public let passImages: Int, passes: Int
    let exchange: GradientExchange
    /// Held while the weights change (the update step) and while a checkpoint is written, so that a signal handler
    /// can save a consistent `_last` at any moment.
    let stateLock = NSLock()
    /// Where the run's events go (rank 0 only; the other ranks' are dropped).
    let emit: (TrainingEvent) -> Void
    /// Detector or classifier: the data check, the loader, the loss and the metric.
    public let task: TrainingTask
    /// The last `[yolo]` (detectors); nil for classifiers.
    var lastYolo: YoloConfig? { task.lastYolo }
    var schedule: LearningRateSchedule
    let loader: BatchLoader
    var chart: TrainingChart
    var rng: SeededRandom
    var ema: ParameterEMA?
    /// `seen` of the weights a run resumed from.
    var resumedSeen = 0
    var evaluationNetwork: Network?
    /// Whether this run trains a classifier (a `[softmax]` output instead of `[yolo]` heads).
    public var isClassifier: Bool { task.isClassifier }

    /// ``init(options:events:)`` with each event's console line (``TrainingEvent/message``) passed to `log`.
    public convenience init(options: TrainOptions, log: @escaping (String) -> Void) throws {
        try self.init(options: options, events: { event in if let line = event.message { log(line) } })
    }

    /// Parses the cfg and `.data`, checks that they agree, builds the network and loads weights — everything that can
    /// fail on bad input happens here, before any training compute. `events` receives the run's reports (on rank 0).
    public init(options: TrainOptions, events: @escaping (TrainingEvent) -> Void) throws {
        self.options = options
        collective = options.collective
        let emitter: (TrainingEvent) -> Void = options.collective.isLeader ? events : { _ in }
        emit = emitter
        let log = { (text: String) in emitter(.note(text)) }
        config = try NetworkConfig(contentsOf: options.cfgPath, overrides: options.overrides)
        let (task, classes) = try Self.makeTask(for: config, options: options)
        self.task = task
        let yolo = task.lastYolo
        let dataset = try Self.checkedDataset(task: task, classes: classes, options: options, log: log)
        self.dataset = dataset
        guard config.net.channels == 3 else {
            throw SwiftnetError.cfg(path: options.cfgPath, line: config.net.line, message: "training needs channels=3 (colour images)")
        }
        guard config.net.batch >= config.net.subdivisions else {
            throw SwiftnetError.cfg(path: options.cfgPath, line: config.net.line,
                                    message: "batch=\(config.net.batch) is smaller than subdivisions=\(config.net.subdivisions): a mini-batch (batch/subdivisions, whole images) would be empty")
        }
        let largest = Self.largestInput(config: config, lastYolo: yolo, width: options.width, height: options.height)
        let plan = try TrainingMemory.plan(config: config, width: largest.width, height: largest.height, budget: TrainingMemory.budgetBytes)
        if plan.subdivisions != config.net.subdivisions {
            log(String(format: "memory: a pass of %d images at %d×%d would need %.1f GiB, more than the %.1f GiB training may use here (80 %% of memory); "
                       + "subdivisions %d → %d (%d images per pass; the batch of %d and its update are the same)",
                       config.net.miniBatch, largest.width, largest.height, plan.originalBytes / 1_073_741_824, Double(TrainingMemory.budgetBytes) / 1_073_741_824,
                       config.net.subdivisions, plan.subdivisions, config.net.batch / plan.subdivisions, config.net.batch))
            config.net.subdivisions = plan.subdivisions
        }
        let net = config.net
        if net.batch % net.subdivisions != 0 {
            emit(.warning("batch=\(net.batch) is not a multiple of subdivisions=\(net.subdivisions): each iteration trains \(net.subdivisions) × \(net.miniBatch) = \(net.subdivisions * net.miniBatch) images (darknet's integer division)"))
        }
        imagesPerIteration = net.miniBatch * net.subdivisions
        (passImages, passes) = try Self.passLayout(net: net, imagesPerIteration: imagesPerIteration, ranks: options.collective.size,
                                               cfgPath: options.cfgPath)
        maxBatches = options.maxBatches ?? net.maxBatches
        guard maxBatches > 0 else {
            throw SwiftnetError.cfg(path: options.cfgPath, line: net.line, message: "max_batches must be positive (or pass --max-batches)")
        }
        name = Self.checkpointBase(cfgPath: options.cfgPath)
        backup = options.backup ?? dataset.backup
        network = try Network(config: config, batch: passImages, width: options.width, height: options.height)
        try network.prepareForTraining()
        network.randomizeParameters(seed: options.seed)
        if let weights = options.weightsPath {
            let result = try network.loadWeights(path: weights, allowPartial: true)
            if let missing = result.firstMissingLayer {
                log("\(weights): loaded the first \(result.loadedRecords) of \(result.totalRecords) parameterised layers; layers from \(missing) on start from random initialisation")
            }
            if options.clear {
                iteration = 0
            } else {
                guard let seen = Int(exactly: result.header.seen), seen / imagesPerIteration <= Int(Int32.max) else {
                    throw SwiftnetError.file(path: weights, message: "header says \(result.header.seen) images were seen, which no training run reaches; pass --clear to start at iteration 0")
                }
                iteration = seen / imagesPerIteration
                resumedSeen = seen
                guard iteration < maxBatches else {
                    throw SwiftnetError.invalid("\(weights) was saved at iteration \(iteration), at or past max_batches=\(maxBatches): nothing left to train (raise --max-batches, or pass --clear to start again at 0)")
                }
            }
        }
        schedule = LearningRateSchedule(net: net, maxBatches: maxBatches, seed: options.seed)
        rng = SeededRandom(seed: options.seed &+ 0x7A1)
        loader = try task.makeLoader(dataset: dataset, net: net, network: network, cfgPath: options.cfgPath,
                                     imagesPerIteration: imagesPerIteration, share: options.collective.share(of: imagesPerIteration),
                                     seed: options.seed &+ UInt64(iteration))
        chart = TrainingChart(maxIterations: maxBatches, maxLoss: net.maxChartLoss)
        if net.emaAlpha > 0 { ema = ParameterEMA(alpha: net.emaAlpha) }
        exchange = GradientExchange(network: network, collective: options.collective)
        if options.syncBatchNorm { exchange.synchronizeBatchNorm() }
        if options.map { try loadValidation() }
        if options.collective.isLeader { try ensureDirectory(backup) }
    }

    /// Reads the valid= list (the training list when there is none) for evaluation, checking every image first.
    private func loadValidation() throws {
        // As in darknet, the training list stands in when the .data file names no valid= list.
        let validList = try dataset.validList.map { try ImageList(contentsOf: $0) } ?? dataset.trainList
        let valid = validList.path
        if dataset.validList == nil { emit(.note("\(options.dataPath): no valid= list; --map evaluates on the training list \(valid)")) }
        // A missing or unreadable validation image would otherwise stop training at the first evaluation.
        guard !validList.entries.isEmpty else { throw SwiftnetError.data(path: valid, line: nil, message: "the validation list is empty: --map has nothing to evaluate") }
        if let missing = validList.missingImage() { throw missing }
        let validCheck = task.check(images: validList.paths, dataset: dataset)
        if let first = validCheck.errors.first {
            throw SwiftnetError.data(path: valid, line: nil, message:
                "the validation images have \(validCheck.errors.count) errors (--map evaluates them; --skip-bad applies to training images only), e.g. \(first)")
        }
        try task.loadValidation(paths: validList.paths, dataset: dataset)
    }

    /// What a finished run scores on the valid list (``evaluate()``).
    public struct Evaluation: Sendable {
        /// Classifiers: top-1 and top-5 accuracy and the mean cross-entropy −log p(label).
        public var top1: Double?, top5: Double?, loss: Double?
        /// Detectors: mAP@0.5 (darknet's protocol) and COCO AP@[.5:.95].
        public var map50: Double?, cocoAP: Double?
    }

    /// Evaluates the current weights on the valid list (loading it on first use): top-1, top-5 and mean loss for a
    /// classifier; mAP@0.5 and COCO AP for a detector.
    public func evaluate() throws -> Evaluation {
        if !task.hasValidation { try loadValidation() }
        return try task.evaluate(network: try inferenceCopy(), collective: collective)
    }

    /// Saves `<base>_ema.weights`: the averaged parameters with the current rolling statistics (spec §5.8).
    public func saveEMA() throws -> String? {
        guard let ema, ema.isInitialized else { return nil }
        stateLock.lock()
        defer { stateLock.unlock() }
        ema.swap(with: network)
        defer { ema.swap(with: network) }
        return try write("ema")
    }

    /// darknet's `basecfg`: the cfg's file name up to its first `.` (`my.model.cfg` → `my`); a name starting with
    /// `.` keeps everything before its extension instead of becoming empty.
    public static func checkpointBase(cfgPath: String) -> String {
        let file = URL(fileURLWithPath: cfgPath).lastPathComponent
        let base = file.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? file
        return base.isEmpty ? URL(fileURLWithPath: cfgPath).deletingPathExtension().lastPathComponent : base
    }

    public func weightsPath(_ suffix: String) -> String { backup + "/" + name + "_" + suffix + ".weights" }

    /// Saves the current parameters with darknet's header (`seen = iteration × images per iteration`); rank 0 alone
    /// writes (the other ranks return the path without writing). Safe to call from another thread (a signal handler)
    /// while training runs: it waits for an update step in progress.
    public func save(_ suffix: String) throws -> String {
        stateLock.lock()
        defer { stateLock.unlock() }
        return try write(suffix)
    }

    func write(_ suffix: String) throws -> String {
        let path = weightsPath(suffix)
        guard collective.isLeader else { return path }
        try network.saveWeights(path: path, header: WeightsHeader(seen: UInt64(iteration * imagesPerIteration)))
        return path
    }

    /// Problems with the run's settings that do not stop it (printed as warnings before it starts).
    public var warnings: [String] {
        let net = config.net
        guard net.burnIn > 0, maxBatches <= net.burnIn else { return [] }
        let finalRate = Double(net.learningRate) * pow(Double(maxBatches) / Double(net.burnIn), Double(net.power))
        return ["max_batches \(maxBatches) ends inside burn_in=\(net.burnIn): the learning rate only ramps up, to "
                + String(format: "%.3g", finalRate) + " (" + String(format: "%.2g", 100 * finalRate / Double(max(net.learningRate, 1e-30)))
                + "% of learning_rate=\(net.learningRate)) at the last iteration, so the network will learn little; "
                + "train past burn_in (--max-batches) or shorten it (--set net.burn_in=N)"]
    }

    /// The first lines of a run: network, data, and where in the schedule training starts.
    public func describeStart() -> [String] {
        var lines = [
            "\(options.cfgPath): \(network.layers.count) layers, \(network.width)×\(network.height), batch \(config.net.batch): \(config.net.subdivisions) × \(config.net.miniBatch) images per iteration, max_batches \(maxBatches)",
            "\(options.dataPath): \(dataset.trainPaths.count) training images, \(dataset.classes) classes; checkpoints in \(backup)/\(name)_*.weights",
        ]
        if collective.isDistributed {
            lines.append("\(collective.size) ranks (MPI): each trains \(imagesPerIteration / collective.size) of the \(imagesPerIteration) images of an iteration in \(passes) × \(passImages); gradients summed with MPI_Allreduce; batch-norm statistics \(options.syncBatchNorm ? "over all ranks (--sync-bn)" : "per rank"); rank 0 writes checkpoints")
        }
        if iteration > 0 {
            lines.append("resuming at iteration \(iteration) (the weights' seen = \(resumedSeen) images ÷ \(imagesPerIteration) per iteration; --clear restarts at 0)")
        } else {
            lines.append("starting at iteration 0")
        }
        lines.append(schedule.describe(iteration: iteration + 1))
        return lines
    }

    /// A batch-1 inference copy of the current weights (batch-norm folded from the rolling statistics).
    func inferenceCopy() throws -> Network {
        let eval: Network
        if let existing = evaluationNetwork {
            eval = existing
        } else {
            eval = try Network(config: config, batch: 1, width: options.width, height: options.height)
            evaluationNetwork = eval
        }
        for (source, target) in zip(network.layers, eval.layers) {
            for (a, b) in zip(source.parameters, target.parameters) { b.buffer.copy(from: a.buffer) }
            (target as? ConvolutionalLayer)?.invalidateInferenceCache()
        }
        eval.prepareForInference()
        return eval
    }

    /// The `--map` metric of the current weights on the valid list: mAP@0.5 (darknet's protocol) or top-1.
    public func evaluateMetric() throws -> Float {
        if !task.hasValidation { try loadValidation() }
        return try task.metric(network: try inferenceCopy(), collective: collective)
    }

}

func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    guard seconds < 1e9 else { return "more than 30 years" }
    let s = Int(seconds.rounded())
    let clock = String(format: "%d:%02d:%02d", (s / 3600) % 24, (s / 60) % 60, s % 60)
    return s >= 86400 ? "\(s / 86400)d \(clock)" : clock
}

/// What training at a given size needs in memory, and the subdivisions that make it fit.
public enum TrainingMemory {
    /// What a run may use: 80 % of physical memory (the rest for the system and other processes).
    public static var budgetBytes: Int { MemoryBudget.bytes / 5 * 4 }

    /// Bytes of a run: every layer's training buffers for one pass of `miniBatch` images, the scratch space, the
    /// parameters with their update buffers (and Adam's moments), and the loader's two batches of input images.
    public static func bytes(perImage: Int, workspace: Int, parameters: Int, miniBatch: Int, imagesPerIteration: Int,
                             inputFloats: Int, adam: Bool) -> Double {
        let floats = Double(perImage) * Double(miniBatch) + Double(workspace) + Double(parameters) * (adam ? 4 : 2)
            + 2 * Double(imagesPerIteration) * Double(inputFloats)
        return 4 * floats
    }

    /// The smallest subdivisions (at least the cfg's, dividing `batch` where possible) whose pass fits `budget`
    /// bytes at `width × height`; an error when even one image per pass does not fit.
    public static func plan(config: NetworkConfig, width: Int, height: Int, budget: Int) throws -> (subdivisions: Int, originalBytes: Double) {
        let net = config.net
        let probe = try Network(config: config, batch: 1, width: width, height: height, allocate: false)
        try probe.prepareForTraining()
        let perImage = probe.trainingFloatsPerImage, workspace = probe.workspaceFloats
        let inputFloats = width * height * net.channels
        func need(_ subdivisions: Int) -> Double {
            let mini = max(1, net.batch / subdivisions)
            return bytes(perImage: perImage, workspace: workspace, parameters: probe.parameterCount, miniBatch: mini,
                         imagesPerIteration: mini * subdivisions, inputFloats: inputFloats, adam: net.adam)
        }
        let original = need(net.subdivisions)
        var subdivisions = net.subdivisions
        while need(subdivisions) > Double(budget) {
            guard net.batch / subdivisions > 1 else {
                throw SwiftnetError.cfg(path: config.path, line: net.line, message: String(format:
                    "training at %d×%d needs %.1f GiB even with one image per pass, more than the %.1f GiB this machine allows (80 %% of its memory); "
                    + "train at a smaller size (--width/--height) or without multi-scale (--set yolo.random=0)",
                    width, height, need(subdivisions) / 1_073_741_824, Double(budget) / 1_073_741_824))
            }
            // The next subdivisions that divides the batch (so every pass has the same number of images), else +1.
            let next = (subdivisions + 1...net.batch).first { net.batch % $0 == 0 && net.batch / $0 < net.batch / subdivisions }
            subdivisions = next ?? subdivisions + 1
        }
        return (subdivisions, original)
    }
}

extension Trainer {
    /// Detector (the last `[yolo]`, every head with the same classes) or classifier (a `[softmax]` output), and the
    /// number of classes the dataset must have.
    static func makeTask(for config: NetworkConfig, options: TrainOptions) throws -> (TrainingTask, classes: Int) {
        let heads = config.layers.compactMap { spec -> (YoloConfig, Int)? in
            if case .yolo(let y) = spec.config { return (y, spec.line) }
            return nil
        }
        if let (last, _) = heads.last {
            if let (other, line) = heads.first(where: { $0.0.classes != last.classes }) {
                throw SwiftnetError.cfg(path: options.cfgPath, line: line, message: "[yolo] has classes=\(other.classes) but the last [yolo] has classes=\(last.classes)")
            }
            return (DetectorTask(lastYolo: last), last.classes)
        }
        let shapeOnly = try Network(config: config, batch: 1, width: options.width, height: options.height, allocate: false)
        guard shapeOnly.outputLayer is SoftmaxLayer else {
            throw SwiftnetError.invalid("\(options.cfgPath): swiftnet trains detectors ([yolo] heads) and classifiers ([softmax] output); this network has neither")
        }
        return (ClassifierTask(), shapeOnly.outputLayer.outputShape.count)
    }

    /// The `.data` file's dataset after `check-data` of its training list: refused with the errors listed, or, with
    /// `--skip-bad`, without the bad images.
    static func checkedDataset(task: TrainingTask, classes: Int, options: TrainOptions, log: (String) -> Void) throws -> TrainingDataset {
        var dataset = try TrainingDataset(dataPath: options.dataPath, networkClasses: classes, cfgPath: options.cfgPath,
                                          classifier: task.isClassifier)
        let check = task.check(lists: [dataset.trainList], dataset: dataset)
        if !check.errors.isEmpty {
            let listed = check.errors.prefix(20).map { "  \($0)" }.joined(separator: "\n")
            let more = check.errors.count > 20 ? "\n  … and \(check.errors.count - 20) more (swiftnet check-data --data \(options.dataPath))" : ""
            guard options.skipBad else {
                throw SwiftnetError.data(path: options.dataPath, line: nil, message:
                    "the training data has \(check.errors.count) errors in \(check.badImages.count) images; fix them or pass --skip-bad:\n\(listed)\(more)")
            }
            let bad = check.badImages
            dataset.trainPaths.removeAll { bad.contains($0) }
            log("skipping \(bad.count) images with errors (--skip-bad):\n\(listed)\(more)")
            guard !dataset.trainPaths.isEmpty else {
                throw SwiftnetError.data(path: options.dataPath, line: nil, message: "no training image is left after skipping the bad ones")
            }
        }
        if check.backgroundImages > 0 {
            log("\(check.backgroundImages) training images have no objects (missing or empty label files): used as background")
        }
        return dataset
    }

    /// Images per forward/backward pass and passes per iteration on each rank: the cfg's mini-batch and subdivisions
    /// in one process; with N ranks each trains batch/N images in passes of the cfg's mini-batch (or the largest
    /// that divides batch/N). A batch that N does not divide is refused.
    static func passLayout(net: NetConfig, imagesPerIteration: Int, ranks: Int, cfgPath: String) throws -> (images: Int, passes: Int) {
        guard ranks > 1 else { return (net.miniBatch, net.subdivisions) }
        guard imagesPerIteration % ranks == 0 else {
            throw SwiftnetError.cfg(path: cfgPath, line: net.batchLine, message:
                "batch=\(net.batch) (\(imagesPerIteration) images per iteration) cannot be shared equally by \(ranks) ranks: use a batch that \(ranks) divides (--set net.batch=N) or another number of ranks")
        }
        let share = imagesPerIteration / ranks
        var mini = min(net.miniBatch, share)
        while share % mini != 0 { mini -= 1 }
        return (mini, share / mini)
    }
}
