import ArgumentParser
import Foundation
import SwiftnetCore
import SwiftnetEval
import SwiftnetFormat
import SwiftnetLayers
import SwiftnetZoo

struct CalcAnchors: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calc-anchors",
        abstract: "Fit YOLO anchors to a dataset's label boxes (darknet's detector calc_anchors); optionally write them into a cfg.",
        discussion: """
        Every label of every image on the .data file's train= list becomes a point (w·W, h·H); k-means with the distance \
        1 − IoU (boxes aligned at a corner) clusters them from k distinct random boxes until no box changes cluster \
        (at most 1000 passes); the best of --restarts runs is kept. Anchors are printed smallest first, with their average best IoU over the labels. With \
        --cfg the cfg's current anchors are scored the same way; --write then replaces anchors=, num= and mask= of \
        every [yolo] (largest anchors on the coarsest grid) and the filters= of the convolution before each.
        Example: swiftnet calc-anchors --data data/shapes/shapes.data --cfg my.cfg --num 6 --write
        """)

    @Option(help: "Darknet .data file; its train= list names the images (labels next to them, darknet's path rule).")
    var data: String

    @Option(parsing: .unconditional, help: "Number of anchors (default: the cfg's num=, else 9).")
    var num: Int?

    @OptionGroup var size: SizeOptions

    @Argument(help: "DetectionPipeline .cfg whose anchors are compared (and replaced with --write); or --cfg.")
    var cfgArgument: String?

    @Option(name: .customLong("cfg"), help: "DetectionPipeline .cfg whose anchors are compared (and replaced with --write).")
    var cfgOption: String?

    var cfg: String? { cfgOption ?? cfgArgument }
    var width: Int? { size.width }
    var height: Int? { size.height }

    @Flag(help: "Rewrite the cfg's anchors, num, mask and head filters in place; other lines stay as they are.")
    var write = false

    @OptionGroup var cfgOptions: CfgOptions

    @Option(parsing: .unconditional, help: "Seed for the initial cluster centres.")
    var seed: UInt64 = 1

    @Option(parsing: .unconditional, help: "k-means runs from different random starts; the best average IoU is kept (1 = darknet's single run).")
    var restarts: Int = 10

    func validate() throws {
        if let num, !(1...1000).contains(num) { throw ValidationError("--num must be 1…1000") }
        if !(1...1000).contains(restarts) { throw ValidationError("--restarts must be 1…1000") }
        if let cfgArgument, let cfgOption, cfgArgument != cfgOption { throw ValidationError("two cfg files: \(cfgArgument) and --cfg \(cfgOption)") }
        if write && cfg == nil { throw ValidationError("--write needs --cfg") }
        if write && !cfgOptions.overrides.isEmpty {
            throw ValidationError("--set changes the cfg for one run only and would not be written; leave it out with --write")
        }
        if cfg == nil && (width == nil || height == nil) { throw ValidationError("give --width and --height, or --cfg to take them from") }
    }

    func run() throws {
        try reportingErrors {
            let network = try cfg.map { try Network(config: cfgOptions.load($0), batch: 1, allocate: false) }
            let heads = network.map(yoloHeads) ?? []
            if let cfg, heads.isEmpty { throw SwiftnetError.cfg(path: cfg, line: nil, message: "has no [yolo] layer") }
            let w = width ?? network!.width
            let h = height ?? network!.height
            let count = num ?? heads.first?.config.total ?? 9

            let sizes = try LabelSizes(dataPath: data, width: w, height: h)
            print("\(sizes.boxes.count) labels in \(sizes.images) images (\(sizes.imagesWithoutLabels) without a label file), \(w)×\(h) input")
            if sizes.skippedLabels > 0 { printError("warning: skipped \(sizes.skippedLabels) labels of zero or negative size") }
            if sizes.subpixelLabels > 0 {
                printError("warning: \(sizes.subpixelLabels) labels are smaller than one pixel at \(w)×\(h); anchors near 0 come from them")
            }
            if sizes.oversizedLabels > 0 { printError("warning: \(sizes.oversizedLabels) labels are wider or taller than their image; used as they are") }

            var generator = SeededRandom(seed: seed)
            let result = try AnchorClustering.kMeans(boxes: sizes.boxes, count: count, restarts: restarts, using: &generator)
            let fractional = w <= 32
            let runs = restarts == 1 ? "1 k-means run" : "best of \(restarts) k-means runs"
            let passes = "\(result.iterations) passes" + (result.converged ? "" : ", stopped at the limit")
            print("anchors = " + AnchorClustering.darknetText(result.anchors, fractional: fractional))
            print("avg IoU = \(percent(result.averageIoU)) % (\(count) anchors; \(runs), \(passes))")

            guard let cfg, let network else { return }
            let current = Anchor.pairs(heads[0].config.anchors)
            let currentIoU = AnchorClustering.averageIoU(boxes: sizes.boxes, anchors: current)
            print("\(cfg): anchors = " + Anchor.cfgText(current, fractional: fractional))
            print("\(cfg): avg IoU = \(percent(currentIoU)) % (\(current.count) anchors)")
            guard write else { return }
            if result.averageIoU < currentIoU { printError("warning: the new anchors fit the labels less well than the cfg's") }
            if (w, h) != (network.width, network.height) {
                printError("warning: the anchors are for a \(w)×\(h) input; \(cfg) has \(network.width)×\(network.height)")
            }
            try writeAnchors(result.anchors, to: cfg, heads: heads, fractional: fractional)
        }
    }

    /// The `[yolo]` layers of a network in cfg order, with the grid cells of each.
    func yoloHeads(_ network: Network) -> [(config: YoloConfig, cells: Int)] {
        network.layers.compactMap { layer in
            guard case .yolo(let config) = layer.spec.config else { return nil }
            return (config, layer.inputShape.w * layer.inputShape.h)
        }
    }

    /// Rewrites the cfg's anchors, masks and head filters; the result must build before it replaces the file.
    func writeAnchors(_ anchors: [Anchor], to cfg: String, heads: [(config: YoloConfig, cells: Int)], fractional: Bool) throws {
        let masks = try CfgAnchorEditor.masks(anchorCount: anchors.count, headGridCells: heads.map(\.cells))
        let text = try CfgAnchorEditor.rewrite(try readTextFile(cfg), path: cfg, anchors: anchors, masks: masks, fractional: fractional)
        _ = try Network(config: NetworkConfig(text: text, path: cfg), batch: 1, allocate: false)
        try AtomicFile.write(text, to: cfg)
        let described = masks.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }.joined(separator: " ")
        print("\(cfg): wrote \(anchors.count) anchors over \(heads.count) [yolo] heads, masks \(described)")
    }

    /// A fraction as darknet prints `avg IoU` (`%2.2f` of the percentage).
    func percent(_ fraction: Double) -> String { String(format: "%2.2f", 100 * fraction) }
}
