import ArgumentParser
import Foundation
import SwiftnetFormat
import SwiftnetLayers

struct Partial: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Keep the first N layers' weights (darknet's partial), e.g. a backbone for fine-tuning; seen is reset to 0.",
        discussion: "Example: swiftnet partial yolov4-tiny.cfg yolov4-tiny.weights yolov4-tiny.conv.29 29")

    @Argument(help: "Darknet .cfg file the weights belong to.")
    var cfg: String

    @Argument(help: "Input .weights file.")
    var weights: String

    @Argument(help: "Output .weights file.")
    var out: String

    @Argument(help: "Number of leading layers to keep (layers 0…N−1).")
    var layers: Int

    @Flag(help: "Accept an input file that ends at a layer boundary before the last layer.")
    var partial = false

    @OptionGroup var size: SizeOptions
    @OptionGroup var cfgOptions: CfgOptions

    func validate() throws {
        if layers < 1 { throw ValidationError("N must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            try refuseOverwritingInputs([("output", out)], inputs: [cfg, weights])
            let network = try Network(config: try cfgOptions.load(cfg), batch: 1, width: size.width, height: size.height,
                                      allocate: false)
            guard layers <= network.layers.count else {
                throw SwiftnetError.invalid("\(cfg) has \(network.layers.count) layers; cannot keep \(layers)")
            }
            let result = try network.loadWeights(path: weights, allowPartial: partial)
            if let missing = result.firstMissingLayer, missing < layers {
                throw SwiftnetError.weights(path: weights, message: "has weights only up to layer \(missing - 1); cannot keep \(layers) layers")
            }
            try network.saveWeights(path: out, header: WeightsHeader(seen: 0), layerLimit: layers)
            let kept = network.layers.prefix(layers).reduce(0) { $0 + $1.parameters.reduce(0) { $0 + $1.buffer.count } }
            print("\(out): layers 0…\(layers - 1), \(kept) parameters, \(20 + 4 * kept) bytes")
        }
    }
}
