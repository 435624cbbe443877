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
    public private(set) var iteration = 0
    public let maxBatches: Int
    /// Images of one iteration over all ranks (the cfg's batch, with darknet's integer division by subdivisions).
    public let imagesPerIteration: Int
    /// The ranks training together; rank 0 logs and writes.
    public let collective: Collective
    /// The first failed batch-norm statistics exchange (`--sync-bn`), thrown after the pass it happened in.
    private let statisticsFailure = FailureBox()
    /// Images of one forward/backward pass on this rank, and passes per iteration: the cfg's mini-batch and
    /// subdivisions for one process; with N ranks each trains batch/N images in passes of the cfg's mini-batch
    /// (or the largest that divides batch/N).
    public let passImages: Int, passes: Int
    private let exchange: GradientExchange
    /// Held while the weights change (the update step) and while a checkpoint is written, so that a signal handler
    /// can save a consistent `_last` at any moment.
    private let stateLock = NSLock()
    private let log: (String) -> Void
    /// The last `[yolo]` (detectors); nil for classifiers.
    private let lastYolo: YoloConfig?
    private var schedule: LearningRateSchedule
    private let loader: BatchLoader
    private var chart: TrainingChart
    private var rng: SeededRandom
    private var ema: ParameterEMA?
    private var validation: GroundTruth?
    /// `seen` of the weights a run resumed from.
    private var resumedSeen = 0
    private var classValidation: [(path: String, label: Int)]?
    private var evaluationNetwork: Network?
    /// Called after every iteration with its number, loss and darknet's running average loss.
    public var iterationObserver: ((_ iteration: Int, _ loss: Float, _ averageLoss: Float) -> Void)?

    /// Whether this run trains a classifier (a `[softmax]` output instead of `[yolo]` heads).
    public var isClassifier: Bool { lastYolo == nil }

    /// Parses the cfg and `.data`, checks that they agree, builds the network and loads weights — everything that can
    /// fail on bad input happens here, before any training compute.
    public init(options: TrainOptions, log: @escaping (String) -> Void) throws {
        self.options = options
        collective = options.collective
        self.log = options.collective.isLeader ? log : { _ in }
        config = try NetworkConfig(contentsOf: options.cfgPath, overrides: options.overrides)
        let yolo = config.layers.reversed().compactMap({ spec -> YoloConfig? in
            if case .yolo(let y) = spec.config { return y }
            return nil
        }).first
        lastYolo = yolo
        for spec in config.layers {
            if case .yolo(let y) = spec.config, let yolo, y.classes != yolo.classes {
                throw SwiftnetError.cfg(path: options.cfgPath, line: spec.line, message: "[yolo] has classes=\(y.classes) but the last [yolo] has classes=\(yolo.classes)")
            }
        }
        let classes: Int
        if let yolo {
            classes = yolo.classes
        } else {
            let shapeOnly = try Network(config: config, batch: 1, width: options.width, height: options.height, allocate: false)
            guard shapeOnly.outputLayer is SoftmaxLayer else {
                throw SwiftnetError.invalid("\(options.cfgPath): swiftnet trains detectors ([yolo] heads) and classifiers ([softmax] output); this network has neither")
            }
            classes = shapeOnly.outputLayer.outputShape.count
        }
        var dataset = try TrainingDataset(dataPath: options.dataPath, networkClasses: classes, cfgPath: options.cfgPath,
                                          classifier: yolo == nil)
        let check = yolo == nil ? DataCheck.checkClassification(lists: [dataset.trainList], names: dataset.names)
                                : DataCheck.check(lists: [dataset.trainList], classes: dataset.classes)
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
            log("warning: batch=\(net.batch) is not a multiple of subdivisions=\(net.subdivisions): each iteration trains \(net.subdivisions) × \(net.miniBatch) = \(net.subdivisions * net.miniBatch) images (darknet's integer division)")
        }
        imagesPerIteration = net.miniBatch * net.subdivisions
        let ranks = options.collective.size
        if ranks > 1 {
            guard imagesPerIteration % ranks == 0 else {
                throw SwiftnetError.cfg(path: options.cfgPath, line: net.line, message:
                    "batch=\(net.batch) (\(imagesPerIteration) images per iteration) cannot be shared equally by \(ranks) ranks: use a batch that \(ranks) divides (--set net.batch=N) or another number of ranks")
            }
            let share = imagesPerIteration / ranks
            var mini = min(net.miniBatch, share)
            while share % mini != 0 { mini -= 1 }
            passImages = mini
            passes = share / mini
        } else {
            passImages = net.miniBatch
            passes = net.subdivisions
        }
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
        if let yolo {
            var params = AugmentParameters(net: net, lastYolo: yolo)
            params.width = network.width
            params.height = network.height
            try SwiftnetError.attributing(toCfg: options.cfgPath, line: net.line) { try params.validate() }
            loader = DetectionLoader(dataset: dataset, params: params, imagesPerBatch: imagesPerIteration,
                                     share: options.collective.share(of: imagesPerIteration), seed: options.seed &+ UInt64(iteration))
        } else {
            try SwiftnetError.attributing(toCfg: options.cfgPath, line: net.line) {
                try ClassifierAugmentParameters(net: net, classes: dataset.classes).validate()
            }
            loader = ClassificationLoader(dataset: dataset, net: net, width: network.width, height: network.height,
                                          imagesPerBatch: imagesPerIteration, share: options.collective.share(of: imagesPerIteration),
                                          seed: options.seed &+ UInt64(iteration))
        }
        chart = TrainingChart(maxIterations: maxBatches, maxLoss: net.maxChartLoss)
        if net.emaAlpha > 0 { ema = ParameterEMA(alpha: net.emaAlpha) }
        exchange = GradientExchange(network: network, collective: options.collective)
        if options.syncBatchNorm && options.collective.isDistributed {
            let collective = options.collective, failure = statisticsFailure
            network.synchronizeBatchNorm(StatisticsSync(ranks: collective.size) { values, count in
                guard failure.error == nil else { return }
                do {
                    let summed = try collective.allreduceSum(Array(UnsafeBufferPointer(start: values, count: count)))
                    for k in 0..<count { values[k] = summed[k] }
                } catch { failure.error = error }
            })
        }
        if options.map { try loadValidation() }
        if options.collective.isLeader { try ensureDirectory(backup) }
    }

    /// Reads the valid= list (the training list when there is none) for evaluation, checking every image first.
    private func loadValidation() throws {
        let yolo = lastYolo
        // As in darknet, the training list stands in when the .data file names no valid= list.
        let validList = try dataset.validList.map { try ImageList(contentsOf: $0) } ?? dataset.trainList
        let valid = validList.path
        if dataset.validList == nil { log("\(options.dataPath): no valid= list; --map evaluates on the training list \(valid)") }
        // A missing or unreadable validation image would otherwise stop training at the first evaluation.
        guard !validList.entries.isEmpty else { throw SwiftnetError.data(path: valid, line: nil, message: "the validation list is empty: --map has nothing to evaluate") }
        if let missing = validList.missingImage() { throw missing }
        if yolo == nil {
            classValidation = try validList.paths.map { ($0, try ClassifierAugment.label(forPath: $0, names: dataset.names)) }
        } else {
            // Image sizes (from the headers) give the pixel boxes that COCO AP needs.
            validation = try GroundTruth.loadDarknetImages(validList.paths, names: dataset.names, options: DarknetListOptions(readImageHeaders: true))
        }
        let validCheck = yolo == nil ? DataCheck.checkClassification(images: validList.paths, names: dataset.names)
                                     : DataCheck.check(images: validList.paths, classes: dataset.classes)
        if let first = validCheck.errors.first {
            throw SwiftnetError.data(path: valid, line: nil, message:
                "the validation images have \(validCheck.errors.count) errors (--map evaluates them; --skip-bad applies to training images only), e.g. \(first)")
        }
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
        if validation == nil && classValidation == nil { try loadValidation() }
        if isClassifier {
            guard let samples = classValidation, !samples.isEmpty else { return Evaluation() }
            let classifier = ClassificationPipeline(network: try inferenceCopy())
            var top1 = 0, top5 = 0, loss = 0.0
            for (path, label) in samples[collective.share(of: samples.count)] {
                let probabilities = classifier.predict(try ImageIO.load(path))
                let ranked = ClassificationPipeline.topK(probabilities, k: 5)
                if ranked.first == label { top1 += 1 }
                if ranked.contains(label) { top5 += 1 }
                loss -= Foundation.log(max(Double(probabilities[label]), 1e-12))
            }
            let totals = try collective.allreduceSum([Double(top1), Double(top5), loss])
            let n = Double(samples.count)
            return Evaluation(top1: totals[0] / n, top5: totals[1] / n, loss: totals[2] / n)
        }
        guard let gt = validation else { return Evaluation() }
        let run = try ValidationRun(network: try inferenceCopy(), groundTruth: gt)
        let report = try run.evaluate(options: EvaluationOptions(darknet: DarknetOptions(), runCOCO: true), collective: collective)
        // Rank 0 evaluated; the others learn its numbers (NaN: not computed).
        let values = try collective.allreduceSum(collective.isLeader ? [report?.darknet?.meanAveragePrecision ?? .nan, report?.coco?.stats.ap ?? .nan] : [0, 0])
        return Evaluation(map50: values[0].isNaN ? nil : values[0], cocoAP: values[1].isNaN ? nil : values[1])
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

    private func write(_ suffix: String) throws -> String {
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

    /// Runs until `max_batches` (or until `stop()` returns true, checked between iterations).
    public func run(stop: () -> Bool = { false }) throws -> TrainSummary {
        let start = Date()
        let startIteration = iteration
        let net = config.net
        let saveEvery = dataset.saveWeightsEvery ?? (maxBatches < 10000 ? 1000 : 10000)
        let lastEvery = dataset.saveLastEvery ?? 100
        var lastSave = iteration, lastLast = iteration
        var averageLoss: Float = -1
        var lastLoss: Float = 0
        var bestMAP: Float?
        var lastMAP: Float?
        var nextMap = nextEvaluation(after: iteration)
        var loops = 0
        var interrupted = false
        var lastChart = Date.distantPast
        var lastPartial = Date.distantPast
        let sgd = Optimizer(net: net)
        // The first multi-scale size (the largest) applies from the very first batch, as in darknet.
        if let random = lastYolo?.random, random != 0 { try chooseScale(first: true) }
        loader.prefetch()
        let exchangeSecondsAtStart = exchange.seconds
        do {
            try exchange.verifyIdentical(iteration: iteration)
            while iteration < maxBatches {
                // Ranks agree on stopping through the iteration's sums (below); one process checks here.
                if !collective.isDistributed && stop() { interrupted = true; break }
                let iterationStart = Date()
                if let random = lastYolo?.random, random != 0, loops % 10 == 0, loops > 0 { try chooseScale(first: false) }
                loops += 1
                let batch = try loader.next()
                if batch.width != network.width || batch.height != network.height {
                    try network.resize(width: batch.width, height: batch.height)
                }
                var loss: Float = 0
                let mb = passImages
                let size = 3 * batch.width * batch.height
                exchange.beginIteration()
                for s in 0..<passes {
                    batch.input.withUnsafeBufferPointer { src in
                        network.input.pointer.update(from: src.baseAddress! + s * mb * size, count: mb * size)
                    }
                    network.forwardTraining(truth: batch.truth(images: (s * mb)..<((s + 1) * mb), classes: dataset.classes),
                                            progress: TrainingProgress(iteration: iteration, maxBatches: maxBatches))
                    let reported = isClassifier ? (network.outputLayer as? SoftmaxLayer)?.crossEntropy : network.cost
                    guard let cost = reported else {
                        throw SwiftnetError.cfg(path: options.cfgPath, line: network.outputLayer.spec.line,
                                                message: "the output layer computes no loss (noloss=1?), so there is nothing to train")
                    }
                    guard cost.isFinite else {
                        throw nanError("the loss", paths: Array(batch.paths[(s * mb)..<((s + 1) * mb)]))
                    }
                    if let error = statisticsFailure.error { throw error }
                    loss += cost
                    if s + 1 < passes {
                        network.backward()
                    } else {
                        // The last pass completes each layer's updates: its gradient buckets go out as backward proceeds.
                        var exchangeError: Error?
                        network.backward { [exchange] index in
                            guard exchangeError == nil else { return }
                            do { try exchange.layerFinished(index) } catch { exchangeError = error }
                        }
                        if let exchangeError { throw exchangeError }
                        if let error = statisticsFailure.error { throw error }
                    }
                    // Large networks take minutes per iteration: say how it goes inside one, at most every 10 s.
                    if s + 1 < passes, Date().timeIntervalSince(lastPartial) >= 10, Date().timeIntervalSince(iterationStart) >= 10 {
                        lastPartial = Date()
                        let images = (s + 1) * mb * collective.size
                        let rate = Double(images + (iteration - startIteration) * imagesPerIteration) / max(Date().timeIntervalSince(start), 1e-9)
                        let left = Double((maxBatches - iteration) * imagesPerIteration - images) / max(rate, 1e-9)
                        log(String(format: "%6d/%d: %d of %d images, %.2f img/s, ETA %@", iteration + 1, maxBatches, images,
                                   imagesPerIteration, rate, formatDuration(left)))
                    }
                }
                try exchange.finishIteration()
                let totals = try exchange.sum([Double(loss), collective.isDistributed && stop() ? 1 : 0])
                loss = Float(totals[0]) / Float(imagesPerIteration)
                let stopAfterThis = totals[1] > 0
                if !updatesAreFinite() { throw nanError("the gradients", paths: batch.paths) }
                let rate = schedule.rate(at: iteration + 1)
                guard rate.isFinite else {
                    throw SwiftnetError.cfg(path: options.cfgPath, line: net.line,
                                            message: "the learning rate at iteration \(iteration + 1) is \(rate) (policy \(net.policy.rawValue)); check the schedule's keys")
                }
                stateLock.lock()
                iteration += 1
                sgd.step(network: network, rate: rate, imagesPerIteration: imagesPerIteration, iteration: iteration,
                         firstLayer: network.firstTrainedLayer)
                stepEMA()
                stateLock.unlock()
                if collective.isDistributed && iteration % 10 == 0 { try exchange.verifyIdentical(iteration: iteration) }
                lastLoss = loss
                averageLoss = averageLoss < 0 || averageLoss.isNaN ? loss : 0.9 * averageLoss + 0.1 * loss
                chart.add(iteration: iteration, averageLoss: averageLoss)
                if collective.isLeader { iterationObserver?(iteration, loss, averageLoss) }
                let seconds = Date().timeIntervalSince(iterationStart)
                let elapsed = Date().timeIntervalSince(start)
                let done = iteration - startIteration
                let eta = elapsed / Double(max(1, done)) * Double(maxBatches - iteration)
                log(String(format: "%6d/%d: loss %.4f, avg %.4f, rate %.6f, %.2f s, %.1f img/s, ETA %@%@", iteration, maxBatches,
                           Double(loss), Double(averageLoss), Double(rate), seconds, Double(imagesPerIteration) / max(seconds, 1e-9),
                           formatDuration(eta), network.width != config.net.width ? " (\(network.width)×\(network.height))" : ""))
                if iteration >= lastSave + saveEvery || iteration % saveEvery == 0 {
                    lastSave = iteration
                    try exchange.averageStatistics()
                    log("saved \(try save("\(iteration)"))")
                }
                if saveEvery > lastEvery && (iteration >= lastLast + lastEvery || (iteration % lastEvery == 0 && iteration > 1)) {
                    lastLast = iteration
                    try exchange.averageStatistics()
                    _ = try save("last")
                    if let ema, ema.isInitialized { _ = try saveEMA() }
                }
                if (validation != nil || classValidation != nil) && (iteration >= nextMap || iteration == maxBatches) {
                    nextMap = nextEvaluation(after: iteration)
                    try exchange.averageStatistics()
                    let map = isClassifier ? try evaluateTop1() : try evaluateMAP()
                    let metric = isClassifier ? "top-1 accuracy" : "mean average precision (mAP@0.50)"
                    lastMAP = map
                    chart.add(iteration: iteration, map: map)
                    if map >= (bestMAP ?? -1) {
                        bestMAP = map
                        log(String(format: "%@ = %.6f — new best, saved %@", metric, Double(map), try save("best")))
                    } else {
                        log(String(format: "%@ = %.6f (best %.6f)", metric, Double(map), Double(bestMAP ?? 0)))
                    }
                }
                if Date().timeIntervalSince(lastChart) > 10 || iteration == maxBatches {
                    lastChart = Date()
                    try writeChart(averageLoss: averageLoss, eta: eta)
                }
                if stopAfterThis { interrupted = true; break }
            }
        } catch let error as TrainingError {
            throw error
        } catch {
            // A data, evaluation or disk error: keep what was trained (the weights are finite, checked every update).
            if iteration > startIteration, let path = try? save("last") {
                log("stopped by an error at iteration \(iteration); saved \(path) (resume from it after fixing the problem)")
            }
            throw error
        }
        try exchange.averageStatistics()
        let finalPath = interrupted ? try save("last") : try save("final")
        try writeChart(averageLoss: averageLoss, eta: 0)
        let seconds = Date().timeIntervalSince(start)
        return TrainSummary(startIteration: startIteration, iterations: iteration, lastLoss: lastLoss, averageLoss: averageLoss,
                            bestMAP: bestMAP, lastMAP: lastMAP, seconds: seconds,
                            imagesPerSecond: Double((iteration - startIteration) * imagesPerIteration) / max(seconds, 1e-9),
                            communicationSeconds: exchange.seconds - exchangeSecondsAtStart,
                            interrupted: interrupted, weightsPath: finalPath)
    }

    /// darknet: `max(last + interval, burn_in)`; an explicit `--map-interval` is taken as given.
    private func nextEvaluation(after last: Int) -> Int {
        options.mapInterval != nil ? last + mapInterval : max(last + mapInterval, config.net.burnIn)
    }

    private var mapInterval: Int {
        if let interval = options.mapInterval { return max(1, interval) }
        let epochs4 = 4 * dataset.trainPaths.count / max(1, imagesPerIteration)
        return max(100, epochs4)
    }

    /// The largest input a run trains at: the first multi-scale size when `random` is set, else the input size.
    static func largestInput(config: NetworkConfig, lastYolo: YoloConfig?, width: Int?, height: Int?) -> (width: Int, height: Int) {
        let net = config.net
        let w0 = width ?? net.width, h0 = height ?? net.height
        guard let random = lastYolo?.random, random != 0 else { return (w0, h0) }
        let factor = random == 1 ? 1.4 : random
        let step = max(1, net.resizeStep)
        func dimension(_ base: Int) -> Int { max(step, Int((factor * Float(base) / Float(step) + 1).rounded()) * step) }
        return (max(w0, dimension(w0)), max(h0, dimension(h0)))
    }

    /// Multi-scale training (spec §5.4): every 10 iterations a new size `round(v·W0/step + 1)·step`.
    private func chooseScale(first: Bool) throws {
        let net = config.net
        let random = lastYolo?.random ?? 0
        let factor = random == 1 ? 1.4 : random
        let step = max(1, net.resizeStep)
        let w0 = options.width ?? net.width, h0 = options.height ?? net.height
        func dimension(_ base: Int, _ v: Float) -> Int { Int((v * Float(base) / Float(step) + 1).rounded()) * step }
        var w: Int, h: Int
        if first || iteration + 100 > maxBatches {
            w = dimension(w0, factor)
            h = dimension(h0, factor)
        } else {
            let v = randScale(factor)
            w = dimension(w0, v)
            h = dimension(h0, v)
            if v < 1 && (w > w0 || h > h0) { w = w0; h = h0 }
        }
        w = max(step, w)
        h = max(step, h)
        if first {
            log("multi-scale training (random=\(random)): every 10 iterations a size around \(w0)×\(h0) in steps of \(step); the first batches at the largest, \(w)×\(h)")
        }
        loader.setSize(width: w, height: h)
    }

    private func randScale(_ s: Float) -> Float {
        let lo = min(1, s), hi = max(1, s)
        let u = lo + (hi - lo) * rng.nextFloat()
        return rng.next() & 1 == 0 ? u : 1 / u
    }

    private func stepEMA() {
        guard let ema else { return }
        if iteration >= maxBatches / 2 && iteration < maxBatches - 1000 {
            if !ema.isInitialized { ema.initialize(from: network) } else { ema.update(from: network) }
        } else if iteration == maxBatches - 1000 && ema.isInitialized {
            ema.apply(to: network)
            log("EMA weights applied at iteration \(iteration)")
        }
    }

    private func updatesAreFinite() -> Bool {
        for layer in network.layers {
            for t in layer.trainables {
                var sum: Float = 0
                let p = t.update.pointer
                // x·0 is NaN exactly when x is NaN or infinite, so one sum checks the whole array.
                for i in 0..<t.update.count { sum += p[i] * 0 }
                if !sum.isFinite { return false }
            }
        }
        return true
    }

    private func nanError(_ what: String, paths: [[String]]) -> TrainingError {
        TrainingError(description: "\(what) became NaN or infinite at iteration \(iteration + 1); training stopped, no weights were written for this iteration. Images of the batch:\n  "
                      + paths.map { $0.joined(separator: " + ") }.joined(separator: "\n  ")
                      + "\nCheck these images and labels, or lower learning_rate / raise burn_in in the cfg.")
    }

    /// A batch-1 inference copy of the current weights (batch-norm folded from the rolling statistics).
    private func inferenceCopy() throws -> Network {
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

    /// Top-1 accuracy on the valid list (darknet's classifier validation: shorter side resized, centre crop).
    public func evaluateTop1() throws -> Float {
        guard let samples = classValidation, !samples.isEmpty else { return 0 }
        let classifier = ClassificationPipeline(network: try inferenceCopy())
        var correct = 0
        for (path, label) in samples[collective.share(of: samples.count)] {
            let probabilities = classifier.predict(try ImageIO.load(path))
            if ClassificationPipeline.topK(probabilities, k: 1).first == label { correct += 1 }
        }
        return Float(try collective.allreduceSum([Double(correct)])[0]) / Float(samples.count)
    }

    /// mAP@0.5 (darknet protocol, all-point) on the valid list with a batch-1 copy of the current weights.
    public func evaluateMAP() throws -> Float {
        guard let gt = validation else { return 0 }
        let eval = try inferenceCopy()
        let run = try ValidationRun(network: eval, groundTruth: gt)
        let report = try run.evaluate(options: EvaluationOptions(darknet: DarknetOptions(), runCOCO: false), collective: collective)
        return Float(try collective.allreduceSum([report?.darknet?.meanAveragePrecision ?? 0])[0])
    }

    private func writeChart(averageLoss: Float, eta: Double) throws {
        guard collective.isLeader else { return }
        let footer = String(format: "avg loss %.3f  iteration %d/%d  time left %@", Double(max(0, averageLoss)), iteration, maxBatches, formatDuration(eta))
        try ImageIO.write(chart.render(footer: footer), to: backup + "/chart.png")
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

/// An error recorded where it cannot be thrown (inside a kernel's callback), thrown by the caller afterwards.
final class FailureBox: @unchecked Sendable {
    var error: Error?
}
