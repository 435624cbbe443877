import ArgumentParser
import Foundation
import SwiftnetTrain

struct Augment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write training samples exactly as the trainer sees them (network input, labels, optional drawing).",
        discussion: "Writes DIR/NNNN.png, DIR/NNNN.txt (YOLO labels after augmentation; classifiers: the soft target vector) and, with --draw, DIR/NNNN_boxes.png.")

    @Option(help: "Darknet .data file.")
    var data: String

    @OptionGroup var cfgFile: CfgFile

    @Option(parsing: .unconditional, help: "Number of samples.")
    var count: Int = 16

    @Option(help: "Output directory.")
    var out: String

    @Flag(help: "Also write a copy with the boxes (classifiers: the top class) drawn.")
    var draw = false

    @Option(parsing: .unconditional, help: "Sampling and augmentation seed.")
    var seed: UInt64 = 1

    @OptionGroup var size: SizeOptions
    @OptionGroup var cfgOptions: CfgOptions

    func validate() throws {
        _ = try cfgFile.required()
        if count < 1 || count > 10000 { throw ValidationError("--count must be 1…10000") }
        if out.isEmpty { throw ValidationError("--out must name a directory") }
    }

    func run() throws {
        try reportingErrors {
            try AugmentPreview.write(cfgPath: try cfgFile.required(), overrides: try cfgOptions.parsedOverrides(), dataPath: data, count: count,
                                     directory: out, draw: draw, seed: seed, width: size.width, height: size.height)
            print("\(count) samples written to \(out)")
        }
    }
}
