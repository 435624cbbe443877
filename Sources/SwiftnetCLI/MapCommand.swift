import ArgumentParser
import Foundation
import SwiftnetDetect
import SwiftnetEval
import SwiftnetCore
import SwiftnetData
import SwiftnetFormat
import SwiftnetLayers
import SwiftnetTrain

/// Category ids written to / read from COCO results files.
enum CategoryIds: String, ExpressibleByArgument, CaseIterable {
    /// darknet's 80 → 91 COCO table when the model has 80 classes, else the class index.
    case auto
    case coco
    case index

    func ids(classes: Int) throws -> [Int] {
        switch self {
        case .index: return Array(0..<classes)
        case .coco:
            guard classes == 80 else { throw SwiftnetError.invalid("--category-ids coco needs 80 classes, the model has \(classes)") }
            return ValidationRun.cocoCategoryIds
        case .auto: return classes == 80 ? ValidationRun.cocoCategoryIds : Array(0..<classes)
        }
    }
}

/// The ground truth of a `.data` file's `valid=` list (every image must exist; relative paths are read from the
/// working directory, as darknet does).
func validationGroundTruth(_ dataPath: String) throws -> GroundTruth {
    let dataset = try DarknetDataset(contentsOf: dataPath)
    guard let list = try dataset.imageList("valid", what: "the list of validation images") else {
        throw SwiftnetError.data(path: dataPath, line: nil, message: "no valid= entry (the list of validation images)")
    }
    guard let names = try dataset.classNames() else { throw SwiftnetError.data(path: dataPath, line: nil, message: "no names= entry (the class names)") }
    if list.entries.isEmpty { throw SwiftnetError.data(path: list.path, line: nil, message: "the image list is empty: nothing to evaluate") }
    if let missing = list.missingImage() { throw missing }
    return try GroundTruth.loadDarknetImages(list.paths, names: names)
}

/// Loads a network for evaluation: batch 1, weights, batch-norm folded.
func evaluationNetwork(model: ModelOptions, size: SizeOptions, cfgOptions: CfgOptions, adjustments: [CfgOverride] = []) throws -> Network {
    guard let cfg = model.cfg, let weights = model.weights else {
        throw SwiftnetError.invalid("running a network needs --cfg and --weights")
    }
    let network = try Network(config: try cfgOptions.load(cfg, adjustments: adjustments), batch: 1, width: size.width, height: size.height)
    try loadInferenceWeights(network, path: weights, partial: model.partial)
    network.foldForInference()
    return network
}

struct Map: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "darknet's mAP report (detector map) followed by COCO AP@[.5:.95], from a network run or from files.",
        discussion: """
        Network run:   swiftnet map --data obj.data --cfg yolov4.cfg --weights yolov4.weights
        Demo:          swiftnet map            (the bundled model on the shapes demo dataset's validation list)
                       swiftnet map --weights backup/shapes_final.weights     (weights trained by `swiftnet train CFG`
                       without --data; add --cfg CFG for another cfg, its heads resized to the demo's 5 classes)
        Precomputed:   swiftnet map --gt instances_val.json --detections results.json
                       swiftnet map --gt valid.txt --names obj.names --detections result.json
        GT is a COCO instances JSON or a darknet image list (labels next to the images); detections are a COCO results
        JSON or darknet's -out JSON.
        """)

    @Option(help: "Ground truth: COCO instances JSON or a darknet image list.")
    var gt: String?

    @Option(help: "Detections: COCO results JSON or darknet -out JSON.")
    var detections: String?

    @Argument(help: ".cfg, .weights, .names and .data files, taken as --cfg, --weights, --names and --data (darknet's order works).")
    var files: [String] = []

    @OptionGroup var model: ModelOptions
    @OptionGroup var size: SizeOptions
    @OptionGroup var cfgOptions: CfgOptions

    @Option(parsing: .unconditional, help: "darknet AP interpolation: 0 = area under the curve, 11 (VOC2007) or 101 (recall levels computed as darknet's Linux -Ofast builds do).")
    var points: Int = 0

    @Option(name: .customLong("iou-thresh"), parsing: .unconditional, help: "IoU threshold of the darknet protocol.")
    var iouThresh: Float = 0.5

    @Option(parsing: .unconditional, help: "Confidence threshold of darknet's precision/recall/F1 line.")
    var thresh: Float = 0.25

    @Option(help: "category_id values of COCO results read with a darknet list GT: auto (COCO's 91-id table for 80 classes, else the class index, as valid writes them), coco, index.")
    var categoryIds: CategoryIds = .auto

    @Flag(help: "Print every number (both protocols, per class) as JSON on stdout; the text report goes to stderr.")
    var json = false

    @Option(help: "Write precision-recall curves into this folder: pr_mean.png and pr_CLASS.png per class with ground truth or detections, the points darknet's AP sums marked.")
    var plot: String?

    @Option(parsing: .unconditional, help: "Benchmark: repeat parsing and evaluation N times and print the median times (COCO files only).")
    var benchmark: Int?

    @Option(parsing: .unconditional, help: "Worker threads (default: all cores).")
    var threads: Int?

    mutating func validate() throws {
        if let unknown = try model.absorb(files).first { throw ValidationError("unexpected argument '\(unknown)' (model files end in .cfg, .weights, .names or .data)") }
        files = []
        let files = gt != nil || detections != nil
        if files {
            guard gt != nil, detections != nil else { throw ValidationError("--gt and --detections go together") }
            if model.cfg != nil || model.weights != nil { throw ValidationError("give either --gt/--detections or --cfg/--weights, not both") }
        } else if model.cfg != nil && model.weights == nil {
            throw ValidationError("--cfg needs --weights (without both, map evaluates the bundled demo model)")
        }
        guard [0, 11, 101].contains(points) else { throw ValidationError("--points must be 0, 11 or 101") }
        guard iouThresh > 0, iouThresh <= 1 else { throw ValidationError("--iou-thresh must be in (0, 1]") }
        guard (0...1).contains(thresh) else { throw ValidationError("--thresh must be in [0, 1]") }
        if let benchmark {
            guard benchmark >= 1 else { throw ValidationError("--benchmark needs a positive run count") }
            guard files else { throw ValidationError("--benchmark evaluates files: give --gt and --detections") }
        }
    }

    var options: EvaluationOptions {
        EvaluationOptions(darknet: DarknetOptions(iouThreshold: iouThresh, confThreshold: thresh, points: points))
    }

    func run() throws {
        try reportingErrors {
            try configureThreads(threads)
            if gt == nil { _ = try Distributed.collective() }
            if let gt, let detections {
                if let benchmark {
                    let result = try EvalBenchmark.run(groundTruthPath: gt, detectionsPath: detections, runs: benchmark, options: options)
                    print(result.text(), terminator: "")
                    return
                }
                try report(try evaluateFiles(gt: gt, detections: detections))
            } else {
                var model = self.model
                var adjustments: [CfgOverride] = []
                if model.cfg == nil {
                    guard let root = BundledModel.root() else {
                        throw SwiftnetError.invalid("no --cfg given and the bundled demo model (\(BundledModel.cfg), \(BundledModel.weights)) is not found from the working directory; give --data, --cfg and --weights")
                    }
                    model.cfg = root + "/" + BundledModel.cfg
                    if model.weights == nil { model.weights = root + "/" + BundledModel.weights }
                }
                if model.data == nil {
                    let demo = try DemoDataset.prepare(.detection) { printError($0) }
                    model.data = demo.dataFile
                    let config = try cfgOptions.load(model.cfg!)
                    guard let heads = config.outputHeads, heads.isDetector else {
                        throw SwiftnetError.invalid("\(model.cfg!): the demo dataset is a detection set and this network has no [yolo]/[region] heads; give --data")
                    }
                    if heads.classes != DemoDataset.classes { adjustments = heads.overrides(classes: DemoDataset.classes) }
                    let line = "no --data: evaluating \(model.cfg!) with \(model.weights!) on the shapes demo dataset's validation list (\(demo.directory)/valid.txt)"
                        + (adjustments.isEmpty ? "" : "; heads resized from \(heads.classes) to \(DemoDataset.classes) classes")
                    if Distributed.isLeader { if json { printError(line) } else { print(line); fflush(stdout) } }
                }
                // Under mpirun the ranks share the image list; rank 0 gathers the detections and reports.
                if let evaluated = try evaluateNetwork(model: model, adjustments: adjustments) { try report(evaluated) }
            }
        }
    }

    func evaluateFiles(gt: String, detections: String) throws -> EvaluationReport {
        let groundTruth: GroundTruth
        if gt.lowercased().hasSuffix(".json") {
            groundTruth = try GroundTruth.loadCOCO(path: gt)
        } else {
            guard let names = try model.classNames() else {
                throw SwiftnetError.invalid("a darknet list as --gt needs --names (or --data) for the class names")
            }
            groundTruth = try loadList(gt, names: names, categoryIds: categoryIds)
            try requireImages(groundTruth, list: gt)
        }
        let darknetJSON = try isDarknetJSON(detections)
        let dets = darknetJSON ? try DetectionSet.loadDarknetJSON(path: detections, groundTruth: groundTruth)
                               : try DetectionSet.loadCOCOResults(path: detections, groundTruth: groundTruth)
        let d = dets.diagnostics
        if !darknetJSON, !gt.lowercased().hasSuffix(".json"), d.read > 0, d.unknownClass.count > 0, let names = try model.classNames() {
            // Category ids that are not the ground truth's: were they written with the other numbering?
            for other in CategoryIds.allCases where other != categoryIds {
                guard let ids = try? other.ids(classes: names.count), ids != (try? categoryIds.ids(classes: names.count)) else { continue }
                let alternative = try DetectionSet.loadCOCOResults(path: detections, groundTruth: try loadList(gt, names: names, categoryIds: other))
                let a = alternative.diagnostics
                if (a.unknownClass.count == 0 || d.unknownClass.count * 2 > d.read) && a.unknownClass.count * 2 < d.unknownClass.count {
                    throw SwiftnetError.data(path: detections, line: nil, message:
                        "\(d.unknownClass.count) of its \(d.read) detections have a category_id that is not a class of the ground truth with --category-ids \(categoryIds.rawValue); they fit --category-ids \(other.rawValue) (\(alternative.diagnostics.accepted) detections match): pass --category-ids \(other.rawValue)")
                }
            }
        }
        if d.read > 0 && d.accepted == 0 {
            throw SwiftnetError.data(path: detections, line: nil, message:
                "none of its \(d.read) detections matches the ground truth (unknown image \(d.unknownImage), unknown class \(d.unknownClass), invalid value \(d.invalidValue)); the ground truth's image ids come from the \(groundTruth.diagnostics.imageIdSource)")
        }
        return try Evaluator.evaluate(groundTruth: groundTruth, detections: dets, options: options)
    }

    func loadList(_ gt: String, names: [String], categoryIds: CategoryIds) throws -> GroundTruth {
        try GroundTruth.loadDarknetList(listPath: gt, names: names, options: DarknetListOptions(categoryIds: try categoryIds.ids(classes: names.count)))
    }

    /// darknet's -out JSON lists frames with `frame_id`; COCO results list entries with `image_id`.
    func isDarknetJSON(_ path: String) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw SwiftnetError.file(path: path, message: "no such file") }
        defer { try? handle.close() }
        let head = String(decoding: handle.readData(ofLength: 4096), as: UTF8.self)
        return head.contains("\"frame_id\"") || head.contains("\"objects\"")
    }

    func evaluateNetwork(model: ModelOptions, adjustments: [CfgOverride]) throws -> EvaluationReport? {
        let collective = try Distributed.collective()
        let dataPath = model.data!
        let groundTruth = try validationGroundTruth(dataPath)
        let network = try evaluationNetwork(model: model, size: size, cfgOptions: cfgOptions, adjustments: adjustments)
        let run = try SwiftnetError.attributing(toData: dataPath, line: nil) {
            try ValidationRun(network: network, groundTruth: groundTruth)
        }
        let total = groundTruth.images.count
        let start = Date()
        let mine = collective.share(of: total).count
        let ranks = rankNote(collective)
        let report = try run.evaluate(options: options, collective: collective) { done in
            if collective.isLeader { printProgress("\(done)/\(mine) images\(ranks)", final: done == mine) }
        }
        if collective.isLeader { printError(String(format: "Total Detection Time: %.0f Seconds", Date().timeIntervalSince(start))) }
        return report
    }

    func report(_ report: EvaluationReport) throws {
        if json {
            writeStderr(report.text())
            print(report.json(), terminator: "")
        } else {
            print(report.text(), terminator: "")
        }
        if let plot { try writeCurves(report, to: plot) }
    }

    /// `--plot DIR`: one precision–recall figure per class that has ground truth or detections, and the mean.
    func writeCurves(_ report: EvaluationReport, to directory: String) throws {
        guard let darknet = report.darknet else {
            throw SwiftnetError.invalid("--plot: no darknet evaluation to plot (\(report.darknetUnavailable ?? "unavailable"))")
        }
        try ensureDirectory(directory)
        var written = 0
        for result in darknet.classes where result.truthCount > 0 || result.detectionCount > 0 {
            let safe = String(result.name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
            try ImageIO.write(Figures.precisionRecall(result, points: points).image, to: directory + "/pr_\(result.classIndex)_\(safe).png")
            written += 1
        }
        try ImageIO.write(Figures.meanPrecisionRecall(darknet.classes, mAP: darknet.meanAveragePrecision).image, to: directory + "/pr_mean.png")
        writeStderr("wrote \(written + 1) precision-recall curves to \(directory) (pr_mean.png and pr_CLASSINDEX_NAME.png)\n")
    }
}

struct Valid: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write COCO results JSON for the .data file's valid list (darknet's detector valid with eval=coco).")

    @Argument(help: ".cfg, .weights, .names and .data files, taken as --cfg, --weights, --names and --data.")
    var files: [String] = []

    @OptionGroup var model: ModelOptions
    @OptionGroup var size: SizeOptions
    @OptionGroup var cfgOptions: CfgOptions

    @Option(help: "Output COCO results JSON file.")
    var out: String = "coco_results.json"

    @Option(help: "category_id values: auto (COCO's 91-id table for 80-class models, else the class index), coco, index.")
    var categoryIds: CategoryIds = .auto

    @Option(parsing: .unconditional, help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(parsing: .unconditional, help: "Images per network pass (detectors; default: 8 for networks up to 10 BFLOPs, else 1); decoding runs a batch ahead.")
    var batch: Int?

    mutating func validate() throws {
        if let unknown = try model.absorb(files).first { throw ValidationError("unexpected argument '\(unknown)' (model files end in .cfg, .weights, .names or .data)") }
        files = []
        guard model.data != nil, model.cfg != nil, model.weights != nil else { throw ValidationError("valid needs --data, --cfg and --weights") }
        if let batch, !(1...256).contains(batch) { throw ValidationError("--batch must be 1…256") }
    }

    func run() throws {
        try reportingErrors {
            try configureThreads(threads)
            let collective = try Distributed.collective()
            try refuseOverwritingInputs([("--out", out)], inputs: [model.cfg, model.weights, model.data, model.names])
            let dataPath = model.data!
            let probe = try Network(config: try cfgOptions.load(model.cfg!), batch: 1, width: size.width, height: size.height, allocate: false)
            if probe.detectionLayers.isEmpty {
                try validateClassifier(dataPath: dataPath)
                return
            }
            let groundTruth = try validationGroundTruth(dataPath)
            let network = try evaluationNetwork(model: model, size: size, cfgOptions: cfgOptions)
            let total = groundTruth.images.count
            // From the whole list, so that every rank runs the passes of one process.
            let batchSize = max(1, min(batch ?? Detect.defaultBatch(images: total, network: network), max(1, total)))
            let run = try SwiftnetError.attributing(toData: dataPath, line: nil) {
                try ValidationRun(network: network, groundTruth: groundTruth, batch: batchSize)
            }
            let mine = run.share(collective).count
            let ranks = rankNote(collective)
            let start = Date()
            // Under mpirun the ranks share the list; rank 0 gathers the results in list order and writes the file.
            guard let json = try run.cocoResults(categoryIds: try categoryIds.ids(classes: groundTruth.categories.count), collective: collective, progress: { done in
                if collective.isLeader {
                    let rate = Double(done) / max(Date().timeIntervalSince(start), 1e-9)
                    printProgress("\(done)/\(mine) images\(ranks), " + String(format: "%.1f images/s", rate), final: done == mine)
                }
            }) else { return }
            endProgress()
            if collective.isLeader && mine > 1 {
                let seconds = Date().timeIntervalSince(start)
                printError(String(format: "%d images in %.2f s: %.2f images/s (batch %d)", mine, seconds, Double(mine) / max(seconds, 1e-9), batchSize) + ranks)
            }
            try AtomicFile.write(json, to: out)
            print("COCO results for \(total) images written to \(out)")
        }
    }

    /// darknet's `classifier valid`: resize the shorter side, centre crop, forward; top-1 and top-k accuracy with the
    /// label taken from each path.
    func validateClassifier(dataPath: String) throws {
        let dataset = try DarknetDataset(contentsOf: dataPath)
        let data = dataset.file
        guard let names = try dataset.classNames(classifier: true) else {
            throw SwiftnetError.data(path: dataPath, line: nil, message: "a classifier needs labels= (class names matched in image paths)")
        }
        guard let list = try dataset.imageList("valid", what: "the list of validation images") else {
            throw SwiftnetError.data(path: dataPath, line: nil, message: "no valid= entry (the list of validation images)")
        }
        if list.entries.isEmpty { throw SwiftnetError.data(path: list.path, line: nil, message: "the image list is empty: nothing to evaluate") }
        if let missing = list.missingImage() { throw missing }
        let paths = list.paths
        let network = try evaluationNetwork(model: model, size: size, cfgOptions: cfgOptions)
        let top = try data.int("top") ?? 5
        guard top >= 1 else {
            throw SwiftnetError.data(path: dataPath, line: data.entries["top"]?.line, message: "top=\(top): must be at least 1")
        }
        guard network.outputLayer.outputShape.count == names.count else {
            throw SwiftnetError.data(path: dataPath, line: nil, message: "\(names.count) labels but the network outputs \(network.outputLayer.outputShape.count) classes")
        }
        let run = try ClassifierValidationRun(network: network, paths: paths, names: names)
        let collective = try Distributed.collective()
        // Under mpirun each rank classifies its share of the list; the counts are summed.
        let ranks = rankNote(collective)
        let scores = try run.evaluate(k: min(names.count, top), collective: collective) { done, of in
            if collective.isLeader { printProgress("\(done)/\(of) images\(ranks)", final: done == of) }
        }
        guard collective.isLeader else { return }
        endProgress()
        print(String(format: "%d images: top 1: %f, top %d: %f", scores.images, scores.top1, scores.k, scores.topK))
    }
}

/// An evaluation needs images: an empty list is an error naming the file, not a report of zeros.
func requireImages(_ groundTruth: GroundTruth, list: String) throws {
    if groundTruth.images.isEmpty { throw SwiftnetError.data(path: list, line: nil, message: "the image list is empty: nothing to evaluate") }
}

/// After a progress counter under mpirun: the count is rank 0's share of the list.
func rankNote(_ collective: Collective) -> String {
    collective.isDistributed ? " (rank 0 of \(collective.size); the others alike)" : ""
}
