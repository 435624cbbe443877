import ArgumentParser
import Foundation
import SwiftnetFormat
import SwiftnetLayers

struct Layers: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a network's layers like darknet's table, with parameter count and .weights size.")

    @OptionGroup var cfgFile: CfgFile

    @OptionGroup var size: SizeOptions
    @OptionGroup var cfgOptions: CfgOptions

    @Flag(help: "Emit JSON instead of the table.")
    var json = false

    func validate() throws { _ = try cfgFile.required() }

    func run() throws {
        try reportingErrors {
            let config = try cfgOptions.load(try cfgFile.required())
            let network = try Network(config: config, batch: 1, width: size.width, height: size.height, allocate: false)
            if json {
                print(try layersJSON(network))
            } else {
                print(network.layerTable())
                print("parameters: \(network.parameterCount)")
                print("weights bytes: \(network.weightsByteCount)")
            }
        }
    }

    func layersJSON(_ network: Network) throws -> String {
        var layers: [[String: Any]] = []
        for layer in network.layers {
            var entry: [String: Any] = [
                "index": layer.index,
                "type": layer.spec.sectionName,
                "input": [layer.inputShape.w, layer.inputShape.h, layer.inputShape.c],
                "output": [layer.outputShape.w, layer.outputShape.h, layer.outputShape.c],
                "bflops": layer.bflops,
                // Every entry has every key; filters/size/stride are null where the layer has none (route, yolo, …).
                "filters": NSNull(), "size": NSNull(), "stride": NSNull(),
            ]
            switch layer.spec.config {
            case .convolutional(let c):
                entry["filters"] = c.filters
                entry["size"] = c.size
                entry["stride"] = c.strideX
            case .maxpool(let p), .localAvgpool(let p):
                entry["size"] = p.size
                entry["stride"] = p.strideX
            case .upsample(let u):
                entry["stride"] = u.stride
            case .connected(let c):
                entry["filters"] = c.outputs
            default:
                break
            }
            layers.append(entry)
        }
        let object: [String: Any] = ["layers": layers, "parameters": network.parameterCount, "weights_bytes": network.weightsByteCount,
                                     "bflops": network.totalBFLOPs]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
