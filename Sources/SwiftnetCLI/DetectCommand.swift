import ArgumentParser
import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetDetect
import SwiftnetFormat
import SwiftnetLayers

struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detect objects in images (darknet's `detector test`); classifier cfgs print their top classes.")

    @Argument(help: "Images (JPEG or PNG), or .txt files listing one image path per line; .cfg, .weights, .names and .data files among them are taken as --cfg, --weights, --names and --data.")
    var images: [String] = []

    @OptionGroup var model: ModelOptions
    @OptionGroup var size: SizeOptions
    @OptionGroup var cfgOptions: CfgOptions

    @Option(parsing: .unconditional, help: "Detection threshold (objectness and class probability).")
    var thresh: Float = 0.25

    @Option(parsing: .unconditional, help: "NMS overlap threshold (0 disables NMS); the kind comes from the cfg's last [yolo].")
    var nms: Float = 0.45

    @Flag(help: "Letterbox images into the network input (default: the cfg's letter_box).")
    var letterbox = false

    @Flag(help: "Print box coordinates in pixels after each label.")
    var extOutput = false

    @Option(help: "Write annotated images (boxes and labels) into this directory.")
    var outputDir: String?

    @Option(help: "Write darknet's -out JSON (the boxes above --thresh, as darknet writes them) to this file.")
    var out: String?

    @Option(help: "Write each [yolo] layer's output to DIR/<image stem>/yolo_<layer>.npy.")
    var saveRaw: String?

    @Option(parsing: .unconditional, help: "Top classes to print for classifier networks.")
    var top: Int = 5

    @Option(parsing: .unconditional, help: "Images per network pass (default: 8 for networks up to 10 BFLOPs, else 1); decoding runs a batch ahead.")
    var batch: Int?

    @Option(parsing: .unconditional, help: "Worker threads (default: all cores).")
    var threads: Int?

    mutating func validate() throws {
        images = try model.absorb(images)
        if images.isEmpty { throw ValidationError("give at least one image (or a .txt list of images)") }
        if !(0...1).contains(thresh) { throw ValidationError("--thresh must be in [0, 1]") }
        if !(0...1).contains(nms) { throw ValidationError("--nms must be in [0, 1]") }
        if top < 1 { throw ValidationError("--top must be at least 1") }
        if let batch, !(1...256).contains(batch) { throw ValidationError("--batch must be 1…256") }
    }

    func run() throws {
        try reportingErrors {
            try configureThreads(threads)
            var model = self.model
            if model.cfg == nil && model.weights == nil && model.names == nil && model.data == nil, let root = BundledModel.root() {
                model.cfg = root + "/" + BundledModel.cfg
                model.weights = root + "/" + BundledModel.weights
                model.names = root + "/" + BundledModel.names
                print("using the bundled demo model, trained on synthetic shapes (circle, square, triangle, cross, ring): it finds only those. "
                      + "For real objects pass a model: swiftnet detect IMAGE --cfg yolov4.cfg --weights yolov4.weights --names coco.names")
            }
            guard let cfg = model.cfg, let weights = model.weights else {
                throw SwiftnetError.invalid("detect needs --cfg FILE.cfg and --weights FILE.weights (and --names FILE.names or --data FILE.data for class names), e.g.\n  swiftnet detect image.jpg --cfg yolov4.cfg --weights yolov4.weights --names coco.names")
            }
            let paths = try expandImageArguments(images)
            var outputs: [(option: String, path: String)] = out.map { [("--out", $0)] } ?? []
            if let outputDir { outputs += uniqueStems(paths).map { ("--output-dir", outputDir + "/" + $0 + ".jpg") } }
            try refuseOverwritingInputs(outputs, inputs: paths + images + [cfg, weights, model.names, model.data])
            let config = try cfgOptions.load(cfg)
            let network = try Network(config: config, batch: 1, width: size.width, height: size.height)
            try loadInferenceWeights(network, path: weights, partial: model.partial)
            network.foldForInference()
            var command = self
            command.model = model
            if network.detectionLayers.isEmpty {
                try command.classify(network: network, paths: paths)
            } else {
                try command.detect(network: network, paths: paths)
            }
        }
    }

    func names(classes: Int) throws -> [String] {
        guard let names = try model.classNames() else {
            printError("warning: no --names or --data given; classes are shown by number")
            return (0..<classes).map { "class_\($0)" }
        }
        guard names.count >= classes else {
            throw SwiftnetError.data(path: model.names ?? model.data ?? "", line: nil,
                                     message: "has \(names.count) class names but the network has \(classes) classes")
        }
        if names.count > classes { printError("warning: \(names.count) class names for \(classes) classes; the extra names are unused") }
        return names
    }

    /// One decoded and preprocessed image of a batch, or why it could not be read.
    struct Loaded {
        var path: String
        var index: Int
        var result: Result<(image: Image, input: Image, rgb: RGBImage?), Error>
    }

    /// Images per pass when --batch is not given: small networks gain from several images per pass (their small late
    /// layers run as Winograd once a pass has 5 or more images), large ones keep every core busy with one.
    static func defaultBatch(images: Int, network: Network) -> Int {
        min(images, network.totalBFLOPs <= 10 ? 8 : 1)
    }

    func detect(network: Network, paths: [String]) throws {
        let batchSize = max(1, min(batch ?? Self.defaultBatch(images: paths.count, network: network), paths.count))
        let detector = try DetectionPipeline(network: network, letterbox: letterbox ? true : nil, batch: batchSize)
        let names = try self.names(classes: detector.classes)
        if let outputDir { try ensureDirectory(outputDir) }
        if let saveRaw { try ensureDirectory(saveRaw) }
        let stems = uniqueStems(paths)
        var jsonImages: [String] = []
        var failures = ImageFailures()
        let channels = network.channels, keepRGB = outputDir != nil
        // Decoding and resizing run a batch ahead of the network.
        let chunks = (paths.count + batchSize - 1) / batchSize
        let prefetch = Prefetcher(count: chunks) { chunk -> [Loaded] in
            (chunk * batchSize..<min(paths.count, (chunk + 1) * batchSize)).map { i in
                Loaded(path: paths[i], index: i, result: Result {
                    let rgb = try ImageIO.readRGB(paths[i])
                    let image = rgb.toImage(channels: channels)
                    return (image, detector.preprocess(image), keepRGB ? rgb : nil)
                })
            }
        }
        let start = Date()
        var done = 0
        while let chunk = try prefetch.nextItem() {
            let ready = chunk.compactMap { item -> (Loaded, (image: Image, input: Image, rgb: RGBImage?))? in
                switch item.result {
                case .success(let value): return (item, value)
                case .failure(let error): failures.report(item.path, error); return nil
                }
            }
            if !ready.isEmpty { detector.forward(ready.map(\.1.input)) }
            for (b, (item, value)) in ready.enumerated() {
                let (image, i, path) = (value.image, item.index, item.path)
                let detections = detector.detections(image: b, imageWidth: image.width, imageHeight: image.height, threshold: thresh, nms: nms)
                print(String(format: "%@: Predicted in %f milli-seconds.", path, detector.lastForwardMilliseconds / Double(ready.count)))
                for line in DetectionOutput.consoleLines(detections, names: names, threshold: thresh, imageWidth: image.width,
                                                         imageHeight: image.height, extended: extOutput) {
                    print(line)
                }
                if out != nil {
                    jsonImages.append(DetectionOutput.jsonImage(detections, names: names, frameID: i + 1, filename: path))
                }
                if let saveRaw { try writeRaw(network: network, image: b, directory: saveRaw + "/" + stems[i]) }
                if let outputDir, var canvas = value.rgb {
                    Annotate.draw(detections, names: names, threshold: thresh, on: &canvas)
                    try ImageIO.write(canvas, to: outputDir + "/" + stems[i] + ".jpg")
                }
            }
            done += chunk.count
            if paths.count > 1 {
                printProgress(String(format: "%d/%d images, %.1f images/s", done, paths.count, Double(done) / max(Date().timeIntervalSince(start), 1e-9)),
                              final: done == paths.count)
            }
        }
        endProgress()
        if paths.count > 1 {
            let seconds = Date().timeIntervalSince(start)
            printError(String(format: "%d images in %.2f s: %.2f images/s (batch %d)", paths.count, seconds, Double(paths.count) / max(seconds, 1e-9), batchSize))
        }
        if let out { try AtomicFile.write(DetectionOutput.jsonFile(jsonImages), to: out) }
        try failures.finish(total: paths.count, wrote: out)
    }

    func writeRaw(network: Network, image b: Int = 0, directory: String) throws {
        try ensureDirectory(directory)
        for case let layer as YoloLayer in network.layers {
            let s = layer.outputShape
            try NPY.write(path: directory + String(format: "/yolo_%03d.npy", layer.index), shape: [1, s.c, s.h, s.w],
                          values: UnsafeBufferPointer(start: layer.output.pointer + b * s.count, count: s.count))
        }
    }

    func classify(network: Network, paths: [String]) throws {
        guard network.outputLayer is SoftmaxLayer else {
            throw SwiftnetError.invalid(network.detectionLayers.isEmpty
                ? "\(network.path): the network has neither [yolo]/[region] layers nor a [softmax] output; nothing to detect or classify"
                : "\(network.path): a detection network ([yolo]/[region] layers), not a classifier ([softmax] output); use swiftnet detect")
        }
        let classifier = ClassificationPipeline(network: network)
        let classes = network.outputLayer.outputShape.count
        let names = try self.names(classes: classes)
        var failures = ImageFailures()
        for path in paths {
            guard let image = failures.load(path, channels: network.channels) else { continue }
            let start = DispatchTime.now().uptimeNanoseconds
            let probabilities = classifier.predict(image)
            let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            print(String(format: "%@: Predicted in %f milli-seconds.", path, ms))
            for k in ClassificationPipeline.topK(probabilities, k: min(top, classes)) {
                print(String(format: "%@: %f", names[k], probabilities[k]))
            }
        }
        try failures.finish(total: paths.count, wrote: nil)
    }
}

/// Images of a run that could not be read: each is reported (file and reason) and skipped; the run's last line
/// counts them and the exit status is 65 (bad input) when there were any.
struct ImageFailures {
    private(set) var count = 0

    mutating func load(_ path: String, channels: Int) -> Image? {
        do {
            return try ImageIO.load(path, channels: channels)
        } catch {
            report(path, error)
            return nil
        }
    }

    mutating func report(_ path: String, _ error: Error) {
        count += 1
        printError("error: \(error) (skipped)")
    }

    func finish(total: Int, wrote output: String?) throws {
        guard count > 0 else { return }
        let written = output.map { "; the results of the other \(total - count) are in \($0)" } ?? ""
        printError("\(count) of \(total) images could not be read and were skipped\(written)")
        throw ExitCode(65)
    }
}

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify images with a classifier cfg (darknet's `classifier predict`): top-k classes.")

    @Argument(help: "Images (JPEG or PNG), or .txt files listing one image path per line; .cfg, .weights, .names and .data files among them are taken as --cfg, --weights, --names and --data.")
    var images: [String] = []

    @OptionGroup var model: ModelOptions
    @OptionGroup var size: SizeOptions
    @OptionGroup var cfgOptions: CfgOptions

    @Option(parsing: .unconditional, help: "Number of top classes to print.")
    var top: Int = 5

    @Option(parsing: .unconditional, help: "Worker threads (default: all cores).")
    var threads: Int?

    mutating func validate() throws {
        images = try model.absorb(images)
        if images.isEmpty { throw ValidationError("give at least one image (or a .txt list of images)") }
        if model.cfg == nil || model.weights == nil { throw ValidationError("classify needs --cfg and --weights") }
        if top < 1 { throw ValidationError("--top must be at least 1") }
    }

    func run() throws {
        var detect = Detect()
        detect.images = images
        detect.model = model
        detect.size = size
        detect.cfgOptions = cfgOptions
        detect.top = top
        detect.threads = threads
        try reportingErrors {
            try configureThreads(threads)
            let config = try cfgOptions.load(model.cfg!)
            let network = try Network(config: config, batch: 1, width: size.width, height: size.height)
            try loadInferenceWeights(network, path: model.weights!, partial: model.partial)
            network.foldForInference()
            try detect.classify(network: network, paths: try expandImageArguments(images))
        }
    }
}
