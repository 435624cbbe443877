import ArgumentParser
import Foundation
import SwiftnetFormat
import SwiftnetZoo

extension ZooNetwork: ExpressibleByArgument {}
extension ZooScale: ExpressibleByArgument {}

/// `--activation` takes the activations offered for hidden layers only.
extension Activation: ExpressibleByArgument {
    /// The activation named `argument`, if offered for hidden layers.
    public init?(argument: String) {
        guard let activation = Activation(rawValue: argument), ModelZoo.hiddenActivations.contains(activation) else { return nil }
        self = activation
    }

    /// The offered activations, for help and completion.
    public static var allValueStrings: [String] { ModelZoo.hiddenActivations.map(\.rawValue) }
}

struct Cfg: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a darknet .cfg for a published network (YOLOv4 family, CSP classifiers) or the shapes detector.",
        discussion: """
        Networks: yolov4-pacsp (the YOLOv4 of the Mish paper; --scale s|m|l|x, l by default), yolov4, yolov4-tiny, \
        csdarknet53 and csresnext50 (ImageNet classifiers, "omega" recipe), shapes (cfg/shapes.cfg). The file uses \
        darknet's own keys only. Detectors train for max(6000, 2000 × classes) iterations with LR steps at 80% and 90%; \
        their anchors are the published COCO ones (swiftnet calc-anchors --write fits them to a dataset).
        Example: swiftnet cfg yolov4-pacsp --scale s --activation mish --classes 3 --out my.cfg
        """)

    @Argument(help: "Network to write.")
    var network: ZooNetwork

    @Option(parsing: .unconditional, help: "Number of classes (default: 80 for detectors, 1000 for classifiers, 5 for shapes).")
    var classes: Int?

    @Option(help: "Activation of all hidden layers (default: the published choice).")
    var activation: Activation?

    @Option(parsing: .unconditional, help: "Input width, a multiple of 32 (default: the published size; alone, it also sets the height).")
    var width: Int?

    @Option(parsing: .unconditional, help: "Input height, a multiple of 32 (alone, it also sets the width).")
    var height: Int?

    @Option(help: "Size of yolov4-pacsp: s (yolov4-pacsp-s), m, l (yolov4-pacsp), x (yolov4-pacsp-x).")
    var scale: ZooScale?

    @Option(parsing: .unconditional, help: "Images per training iteration.")
    var batch: Int?

    @Option(parsing: .unconditional, help: "Passes each iteration's images are split into.")
    var subdivisions: Int?

    @Option(help: "Output file (default: standard output).")
    var out: String?

    var options: ZooOptions {
        ZooOptions(classes: classes, activation: activation, width: width ?? height, height: height ?? width, scale: scale,
                   batch: batch, subdivisions: subdivisions)
    }

    func validate() throws {
        do {
            try ModelZoo.validate(network, options)
        } catch let error as SwiftnetError {
            throw ValidationError(error.description)
        }
        if let out, out.isEmpty { throw ValidationError("--out must not be empty") }
    }

    func run() throws {
        try reportingErrors {
            let text = try ModelZoo.cfg(network, options)
            // Parsing what was written catches a generator bug before anyone trains on the file.
            let config = try NetworkConfig(text: text, path: out ?? "<stdout>")
            if let out {
                try AtomicFile.write(text, to: out)
                print("\(out): \(network.rawValue), \(config.layers.count) layers, \(config.net.width)×\(config.net.height)")
            } else {
                print(text, terminator: "")
            }
        }
    }
}
