import ArgumentParser
import Foundation
import SwiftnetFormat
import SwiftnetLayers

/// `--width/--height` overrides of the cfg's input size, accepted by every command that builds a network.
struct SizeOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Network input width (overrides the cfg).")
    var width: Int?

    @Option(parsing: .unconditional, help: "Network input height (overrides the cfg).")
    var height: Int?

    func validate() throws {
        if let width, width <= 0 { throw ValidationError("--width must be positive") }
        if let height, height <= 0 { throw ValidationError("--height must be positive") }
    }
}

/// How cfg files are read: overrides and diagnostics.
struct CfgOptions: ParsableArguments {
    @Flag(help: "Treat unused cfg keys as errors instead of warnings.")
    var strict = false

    @Option(name: .customLong("set"), parsing: .unconditionalSingleValue, help: ArgumentHelp("Override a cfg option: section.key=value, e.g. net.mosaic=0, yolo.iou_loss=giou, 12.filters=64, all.activation=mish (repeatable).", valueName: "section.key=value"))
    var overrides: [String] = []

    func parsedOverrides() throws -> [CfgOverride] { try overrides.map(CfgOverride.init(parsing:)) }

    /// Parses a cfg with the overrides applied (printing each change), printing (or, with --strict, throwing) its
    /// unused-key diagnostics.
    /// `adjustments` are applied first and silently (changes the caller announces itself, such as resized heads).
    func load(_ path: String, adjustments: [CfgOverride] = []) throws -> NetworkConfig {
        var document = try CfgDocument(contentsOf: path)
        _ = try document.apply(adjustments)
        let config = try NetworkConfig(document: document, overrides: try parsedOverrides()) { printError("override: \($0)") }
        if let first = config.diagnostics.first, strict {
            throw SwiftnetError.cfg(path: first.path, line: first.line, message: first.message + " (--strict)")
        }
        for d in config.diagnostics { printError("warning: \(d.description)") }
        return config
    }
}

/// The model files: `--cfg --weights` and the class names (`--names`, or the `names=` entry of `--data`).
struct ModelOptions: ParsableArguments {
    @Option(help: "Darknet .cfg file.")
    var cfg: String?

    @Option(help: "Darknet .weights file.")
    var weights: String?

    @Option(help: "Class names file (one name per line).")
    var names: String?

    @Option(help: "Darknet .data file (its names= entry gives the class names).")
    var data: String?

    @Flag(help: "Accept a .weights file that ends at a layer boundary before the last layer (layers after it keep their initial values).")
    var partial = false

    func validate() throws {
        if names != nil && data != nil { throw ValidationError("give --names or --data, not both") }
    }

    /// Class names from --names or --data, or nil when neither is given.
    func classNames() throws -> [String]? {
        if let names { return try NamesFile.read(names) }
        if let data {
            let dataFile = try DataFile(contentsOf: data)
            if let namesPath = dataFile.string("names") { return try NamesFile.read(dataFile.resolve(namesPath)) }
            throw SwiftnetError.data(path: data, line: nil, message: "no names= entry")
        }
        return nil
    }
}
