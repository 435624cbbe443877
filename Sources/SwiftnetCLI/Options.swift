import ArgumentParser
import Foundation
import SwiftnetFormat
import SwiftnetLayers

/// `--width/--height` overrides of the cfg's input size, accepted by every command that builds a network; one of
/// them alone means a square input.
struct SizeOptions: ParsableArguments {
    @Option(name: .customLong("width"), parsing: .unconditional, help: "Network input width (overrides the cfg; alone, it also sets the height).")
    var widthOption: Int?

    @Option(name: .customLong("height"), parsing: .unconditional, help: "Network input height (overrides the cfg; alone, it also sets the width).")
    var heightOption: Int?

    var width: Int? { widthOption ?? heightOption }
    var height: Int? { heightOption ?? widthOption }

    func validate() throws {
        if let widthOption, widthOption <= 0 { throw ValidationError("--width must be positive") }
        if let heightOption, heightOption <= 0 { throw ValidationError("--height must be positive") }
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
        let config = try NetworkConfig(document: document, overrides: try parsedOverrides()) { if Distributed.isLeader { printError("override: \($0)") } }
        if let first = config.diagnostics.first, strict {
            throw SwiftnetError.cfg(path: first.path, line: first.line, message: first.message + " (--strict)")
        }
        if Distributed.isLeader { for d in config.diagnostics { printError("warning: \(d.description)") } }
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

    /// Takes model files given as positional arguments, recognised by their extension (`.cfg`, `.weights`,
    /// `.names`, `.data`, in any order, as in darknet's `detector test obj.data yolov4.cfg yolov4.weights`), and
    /// returns the other arguments. A file given both ways is an error.
    mutating func absorb(_ arguments: [String]) throws -> [String] {
        var rest: [String] = []
        for argument in arguments {
            let lower = argument.lowercased()
            func take(_ slot: inout String?, _ option: String) throws {
                if let slot, slot != argument { throw ValidationError("two \(option) files: \(slot) and \(argument)") }
                slot = argument
            }
            if lower.hasSuffix(".cfg") { try take(&cfg, "--cfg") }
            else if lower.hasSuffix(".weights") { try take(&weights, "--weights") }
            else if lower.hasSuffix(".names") { try take(&names, "--names") }
            else if lower.hasSuffix(".data") { try take(&data, "--data") }
            else { rest.append(argument) }
        }
        if names != nil && data != nil { throw ValidationError("give --names or --data, not both") }
        return rest
    }

    /// Class names from --names or --data, or nil when neither is given.
    func classNames() throws -> [String]? {
        if let names { return try NamesFile.read(names) }
        if let data {
            if let names = try DarknetDataset(contentsOf: data).classNames() { return names }
            throw SwiftnetError.data(path: data, line: nil, message: "no names= entry")
        }
        return nil
    }
}

/// The cfg of a command that reads one, given positionally or as `--cfg` (both the same file is fine).
struct CfgFile: ParsableArguments {
    @Argument(help: "Darknet .cfg file (or --cfg).")
    var positional: String?

    @Option(name: .customLong("cfg"), help: "Darknet .cfg file.")
    var option: String?

    func validate() throws {
        if let positional, let option, positional != option { throw ValidationError("two cfg files: \(positional) and --cfg \(option)") }
    }

    var path: String? { option ?? positional }

    /// The cfg, or a usage error when there is none.
    func required() throws -> String {
        guard let path else { throw ValidationError("give a .cfg file (positionally or as --cfg)") }
        return path
    }
}
