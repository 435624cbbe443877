import ArgumentParser
import Foundation
import SwiftnetFormat
import SwiftnetTrain

struct Ablate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train one network once per activation × seed, everything else fixed, and compare (the Mish paper's ablations).",
        discussion: """
        Each run swaps the activation as --set all.activation=A does (linear and logistic stay), trains from scratch \
        with its seed, then is evaluated on the valid list: top-1, top-5 and mean loss for classifiers, mAP@0.5 and \
        COCO AP for detectors. Runs live in OUT/runs/A-seedK (cfg, train.log, loss.csv, weights, result.json). The \
        command is resumable: finished runs are skipped and an interrupted run resumes from its _last.weights (Ctrl-C \
        saves it). At the end: OUT/results.json, results.csv, table.md (mean, std, min, max, mean loss, Welch's \
        p-value against the first activation), results.png and curves.png.
        """)

    @OptionGroup var cfgFile: CfgFile

    @Option(help: "Darknet .data file. Without it: the built-in shapes demo dataset.")
    var data: String?

    @Option(help: "Comma-separated activations; the first is the reference of the t-tests.")
    var activations: String = "mish,swish,leaky,relu"

    @Option(parsing: .unconditional, help: "Runs per activation (seeds 1…N).")
    var seeds: Int = 3

    @Option(parsing: .unconditional, help: "Train this many iterations in total (overrides max_batches).")
    var maxBatches: Int?

    @Option(help: "Output folder (created; the same folder resumes).")
    var out: String

    @OptionGroup var size: SizeOptions
    @OptionGroup var cfgOptions: CfgOptions

    @Option(parsing: .unconditional, help: "Worker threads (default: all cores).")
    var threads: Int?

    var activationList: [String] { activations.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func validate() throws {
        _ = try cfgFile.required()
        if seeds < 1 { throw ValidationError("--seeds must be at least 1") }
        if let maxBatches, maxBatches < 1 { throw ValidationError("--max-batches must be at least 1") }
        let list = activationList
        if list.isEmpty || list.contains(where: \.isEmpty) { throw ValidationError("--activations: give names separated by commas, e.g. mish,swish,leaky,relu") }
        if Set(list).count != list.count { throw ValidationError("--activations names one activation twice") }
        for name in list where Activation(rawValue: name) == nil {
            throw ValidationError("--activations: unknown activation '\(name)'; known: \(Activation.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        try reportingErrors {
            try configureThreads(threads)
            let cfg = try cfgFile.required()
            let parsed = try cfgOptions.load(cfg)
            var plan = AblationPlan(cfgPath: cfg, dataPath: data ?? "", activations: activationList, seeds: seeds, out: out)
            plan.overrides = try cfgOptions.parsedOverrides()
            if data == nil {
                let demo = try DemoTraining.prepare(cfg: cfg, config: parsed, backup: out + "/runs/*")
                plan.dataPath = demo.dataFile
                plan.overrides += demo.overrides
            }
            plan.maxBatches = maxBatches
            plan.width = size.width
            plan.height = size.height
            let ablation = try Ablation(plan: plan) { print($0); fflush(stdout) }
            print("ablation of \(cfg): \(plan.activations.joined(separator: ", ")) × \(seeds) seeds = \(plan.runs.count) runs in \(out)/runs (logs: train.log in each)")
            fflush(stdout)
            let interrupt = InterruptFlag()
            guard try ablation.run(stop: { interrupt.isSet }) else { throw interrupt.exitCode }
            print("wrote \(out)/results.json, results.csv, table.md, results.png, curves.png")
            print(try String(contentsOfFile: out + "/table.md", encoding: .utf8), terminator: "")
        }
    }
}
