import ArgumentParser
import Foundation
import SwiftnetCore

struct Activations: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print x, f(x) and f′(x) of every activation on a grid, by the kernels training uses.",
        discussion: """
            Text: one line per function and point, `name x f(x) f'(x)`. With --json one object: \
            {"x": [...], "activations": {"mish": {"f": [...], "df": [...]}, ...}}. softplus (darknet's threshold of 20) \
            is included as the Mish paper's comparison; it is not a cfg activation.
            """)

    @Option(parsing: .unconditional, help: "First x.")
    var from: Double = -5

    @Option(parsing: .unconditional, help: "Last x (included when the grid reaches it).")
    var to: Double = 5

    @Option(parsing: .unconditional, help: "Grid step.")
    var step: Double = 0.5

    @Option(name: .customLong("activation"), parsing: .singleValue,
            help: "Only this function (repeatable; default: all of them).")
    var only: [String] = []

    @Flag(help: "Print one JSON object on stdout instead of the text table.")
    var json = false

    func validate() throws {
        guard from.isFinite, to.isFinite, step.isFinite else { throw ValidationError("--from, --to and --step must be finite numbers") }
        if step <= 0 { throw ValidationError("--step must be positive") }
        if to < from { throw ValidationError("--to must not be below --from") }
        if (to - from) / step > 10_000_000 { throw ValidationError("the grid has more than 10,000,000 points; use a larger --step") }
        for name in only where ActivationFunction(name: name) == nil {
            throw ValidationError("unknown activation '\(name)'; known: \(ActivationFunction.all.map(\.description).joined(separator: ", "))")
        }
    }

    /// The grid from + k·step up to `to` (with a tolerance of a millionth of a step for decimal steps).
    var grid: [Float] {
        let points = Int(((to - from) / step + 1e-6).rounded(.down)) + 1
        return (0..<points).map { Float(from + Double($0) * step) }
    }

    func run() throws {
        let x = grid
        let functions = only.isEmpty ? ActivationFunction.all : only.compactMap { ActivationFunction(name: $0) }
        if json {
            var table: [String: Any] = [:]
            for function in functions {
                let (f, df) = function.values(x)
                table[function.description] = ["f": f.map(Double.init), "df": df.map(Double.init)]
            }
            let object: [String: Any] = ["x": x.map(Double.init), "activations": table]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        var out = "activation x f(x) f'(x)\n"
        for function in functions {
            let (f, df) = function.values(x)
            for i in x.indices {
                out += "\(function.description) \(x[i]) \(f[i]) \(df[i])\n"
            }
        }
        print(out, terminator: "")
    }
}
