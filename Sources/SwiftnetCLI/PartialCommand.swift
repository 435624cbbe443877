import ArgumentParser
import Foundation
import SwiftnetFormat
import SwiftnetLayers

struct Partial: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Keep the first N layers' weights (darknet's partial), e.g. a backbone for fine-tuning; seen is reset to 0.",
        discussion: "Example: swiftnet partial yolov4-tiny.cfg yolov4-tiny.weights yolov4-tiny.conv.29 29")

    @Argument(help: ArgumentHelp("The cfg the weights belong to (or --cfg), the input .weights, the output .weights and N, the number of leading layers to keep (layers 0…N−1).", valueName: "CFG WEIGHTS OUT N"))
    var arguments: [String] = []

    @Option(name: .customLong("cfg"), help: "Darknet .cfg file the weights belong to (instead of the first argument).")
    var cfgOption: String?

    /// CFG, WEIGHTS, OUT and N from the arguments.
    func parts() throws -> (cfg: String, weights: String, out: String, layers: Int) {
        let expected = cfgOption == nil ? 4 : 3
        guard arguments.count == expected else {
            throw ValidationError(cfgOption == nil ? "expected CFG WEIGHTS OUT N, got \(arguments.count) arguments" : "with --cfg, expected WEIGHTS OUT N, got \(arguments.count) arguments")
        }
        guard let layers = Int(arguments[expected - 1]) else { throw ValidationError("N must be a number of layers, got '\(arguments[expected - 1])'") }
        let files = cfgOption.map { [$0] + arguments } ?? arguments
        return (files[0], files[1], files[2], layers)
    }

    @Flag(help: "Accept an input file that ends at a layer boundary before the last layer.")
    var partial = false

    @OptionGroup var size: SizeOptions
    @OptionGroup var cfgOptions: CfgOptions

    func validate() throws {
        if try parts().layers < 1 { throw ValidationError("N must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            let (cfg, weights, out, layers) = try parts()
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
