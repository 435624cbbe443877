import ArgumentParser
import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetTrain

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the Mish paper's figures as PNG files.",
        subcommands: [PlotActivations.self, PlotLandscape.self])
}

struct PlotOutput: ParsableArguments {
    @Option(help: "Output image (.png or .jpg; written atomically).")
    var out: String

    func validate() throws {
        let ext = URL(fileURLWithPath: out).pathExtension.lowercased()
        if !["png", "jpg", "jpeg"].contains(ext) { throw ValidationError("--out must name a .png or .jpg file") }
    }
}

struct PlotActivations: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activations",
        abstract: "Fig. 1: mish, swish, relu, leaky and softplus and their derivatives on [−5, 5].")

    @OptionGroup var output: PlotOutput

    func run() throws {
        try reportingErrors {
            try ImageIO.write(Figures.activations(), to: output.out)
            print("wrote \(output.out)")
        }
    }
}

struct PlotLandscape: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "landscape",
        abstract: "Fig. 3: the output of a randomly initialised 6-layer network over a 2-D input grid, as a colour map.")

    @Option(help: "The hidden layers' activation (any element-wise activation, or softplus).")
    var activation: String = "mish"

    @Option(parsing: .unconditional, help: "Seed of the random weights.")
    var seed: UInt64 = 1

    @Option(parsing: .unconditional, help: "Image side in pixels (one grid point per pixel).")
    var size: Int = 400

    @Option(parsing: .unconditional, help: "The grid covers [−range, range]².")
    var range: Float = 3

    @OptionGroup var output: PlotOutput

    func validate() throws {
        if ActivationFunction(name: activation) == nil {
            throw ValidationError("unknown activation '\(activation)'; known: \(ActivationFunction.all.map(\.description).joined(separator: ", "))")
        }
        if size < 8 || size > 4096 { throw ValidationError("--size must be between 8 and 4096") }
        if !(range > 0) || !range.isFinite { throw ValidationError("--range must be a positive number") }
    }

    func run() throws {
        try reportingErrors {
            let (image, values) = Figures.landscape(activation: ActivationFunction(name: activation)!, seed: seed, size: size, range: range)
            try ImageIO.write(image, to: output.out)
            print(String(format: "wrote %@ (%@, seed %llu: output from %.4g to %.4g)", output.out, activation, seed,
                         Double(values.min() ?? 0), Double(values.max() ?? 0)))
        }
    }
}
