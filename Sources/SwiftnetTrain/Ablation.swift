import Foundation
import SwiftnetData
import SwiftnetFormat

/// The Mish paper's ablation: one network trained once per activation × seed with everything else fixed, each run
/// evaluated on the valid list, then mean ± std per activation and Welch's t-test against the first activation.
///
/// Each run lives in `out/runs/ACTIVATION-seedK/`: its cfg (the activation swapped as `all.activation` does), its
/// training log, `loss.csv` and checkpoints, and `result.json` once evaluated. Runs with a `result.json` are skipped;
/// a run with a `NAME_last.weights` resumes from it.
public struct AblationPlan: Sendable {
    public var cfgPath: String
    public var dataPath: String
    public var activations: [String]
    public var seeds: Int
    public var maxBatches: Int?
    /// The user's `--set` overrides plus any the caller needs (such as resized heads); applied to every run.
    public var overrides: [CfgOverride] = []
    public var out: String
    public var width: Int?, height: Int?

    public init(cfgPath: String, dataPath: String, activations: [String], seeds: Int, out: String) {
        self.cfgPath = cfgPath
        self.dataPath = dataPath
        self.activations = activations
        self.seeds = seeds
        self.out = out
    }

    /// The runs in the order they are trained: seed by seed, each seed through all activations, so that an early
    /// stop leaves comparable runs.
    public var runs: [(activation: String, seed: Int)] {
        (1...max(1, seeds)).flatMap { seed in activations.map { ($0, seed) } }
    }

    public func directory(activation: String, seed: Int) -> String { out + "/runs/\(activation)-seed\(seed)" }
}

/// One finished run.
public struct AblationRun: Codable, Sendable, Equatable {
    public var activation: String
    public var seed: Int
    /// The table's metric: top-1 (classifiers) or mAP@0.5 (detectors).
    public var metric: Double
    /// Classifiers: mean cross-entropy on the valid list; detectors: the final running-average training loss.
    public var loss: Double
    public var trainLoss: Double
    public var top1: Double?
    public var top5: Double?
    public var map50: Double?
    public var cocoAP: Double?
    public var iterations: Int
    /// Training seconds (summed over resumed parts).
    public var seconds: Double
    public var weights: String

    enum CodingKeys: String, CodingKey {
        case activation, seed, metric, loss, top1, top5, map50, iterations, seconds, weights
        case trainLoss = "train_loss", cocoAP = "coco_ap"
    }
}

/// Per-activation summary of the runs.
public struct AblationSummary: Sendable, Equatable {
    public var activation: String
    public var runs: Int
    public var mean, std, min, max, meanLoss: Double
    /// Welch's two-sided p-value against the first activation (nil for the first, or when undefined).
    public var pValue: Double?
}

public final class Ablation {
    public let plan: AblationPlan
    private let log: (String) -> Void
    /// Whether the network is a classifier (metric top-1) rather than a detector (metric mAP@0.5).
    public let isClassifier: Bool
    private let iterationsPerRun: Int

    public init(plan: AblationPlan, log: @escaping (String) -> Void) throws {
        self.plan = plan
        self.log = log
        let config = try NetworkConfig(contentsOf: plan.cfgPath, overrides: plan.overrides)
        guard let heads = config.outputHeads else {
            throw SwiftnetError.invalid("\(plan.cfgPath): swiftnet trains detectors ([yolo] heads) and classifiers ([softmax] output); this network has neither")
        }
        isClassifier = !heads.isDetector
        iterationsPerRun = plan.maxBatches ?? config.net.maxBatches
        for name in plan.activations where Activation(rawValue: name) == nil {
            throw SwiftnetError.invalid("'\(name)' is not an activation darknet's layers take")
        }
    }

    /// Trains (or resumes, or skips) every run, then writes the results. Returns false when `stop` interrupted it.
    public func run(stop: @escaping () -> Bool) throws -> Bool {
        try ensureDirectory(plan.out + "/runs")
        try writePlan()
        let runs = plan.runs
        var results: [AblationRun] = []
        let start = Date()
        var trainedIterations = 0
        var remainingIterations = 0
        var finished = 0
        // What is left across all runs, for the ETA.
        var lefts: [Int] = []
        for (activation, seed) in runs {
            let dir = plan.directory(activation: activation, seed: seed)
            if FileManager.default.fileExists(atPath: dir + "/result.json") { lefts.append(0); continue }
            let done = (try? LossLog.read(dir + "/loss.csv").last?.iteration) ?? 0
            lefts.append(max(0, iterationsPerRun - done))
        }
        for (index, (activation, seed)) in runs.enumerated() {
            let dir = plan.directory(activation: activation, seed: seed)
            let label = "run \(index + 1)/\(runs.count) (\(activation), seed \(seed))"
            if let existing = try? JSONDecoder().decode(AblationRun.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/result.json"))) {
                log("\(label): finished earlier, \(metricName) \(format(existing.metric)) — skipped")
                results.append(existing)
                finished += 1
                continue
            }
            remainingIterations = lefts[index...].reduce(0, +)
            let result = try train(activation: activation, seed: seed, directory: dir, label: label, stop: stop) { done in
                trainedIterations += done
                remainingIterations -= done
                let rate = Double(trainedIterations) / max(Date().timeIntervalSince(start), 1e-9)
                return rate > 0 ? Double(max(0, remainingIterations)) / rate : .nan
            }
            guard let result else { return false }
            results.append(result)
            finished += 1
            log("\(label): \(metricName) \(format(result.metric)), loss \(format(result.loss)) (\(finished) of \(runs.count) runs done)")
        }
        try AblationReport(plan: plan, runs: results, metric: metricKey).write(to: plan.out)
        return true
    }

    var metricKey: String { isClassifier ? "top1" : "map50" }
    var metricName: String { isClassifier ? "top-1" : "mAP@0.5" }
    private func format(_ v: Double) -> String { String(format: "%.4f", v) }

    /// The run's cfg: the plan's cfg with the overrides and `all.activation` applied, written into its folder.
    private func writeCfg(activation: String, directory: String) throws -> String {
        var document = try CfgDocument(contentsOf: plan.cfgPath)
        _ = try document.apply(plan.overrides + [try CfgOverride(parsing: "all.activation=\(activation)")])
        let name = URL(fileURLWithPath: plan.cfgPath).lastPathComponent
        let path = directory + "/" + name
        let text = document.text(header: ["\(name) for the ablation in \(plan.out): all.activation=\(activation)"
                                          + plan.overrides.map { ", \($0)" }.joined()])
        if let old = try? String(contentsOfFile: path, encoding: .utf8), old != text {
            throw SwiftnetError.invalid("\(path): this run was started with another cfg or other --set options; use another --out, or delete the folder to start it again")
        }
        try AtomicFile.write(text, to: path)
        return path
    }

    /// Trains one run to the end (resuming from its `_last` weights) and evaluates it; nil when stopped.
    private func train(activation: String, seed: Int, directory: String, label: String, stop: @escaping () -> Bool,
                       progress: @escaping (Int) -> Double) throws -> AblationRun? {
        try ensureDirectory(directory)
        let cfg = try writeCfg(activation: activation, directory: directory)
        let logFile = try AppendingLog(path: directory + "/train.log")
        var options = TrainOptions(cfgPath: cfg, dataPath: plan.dataPath)
        options.backup = directory
        options.seed = UInt64(seed)
        options.maxBatches = plan.maxBatches
        options.width = plan.width
        options.height = plan.height
        let base = directory + "/" + Trainer.checkpointBase(cfgPath: cfg)
        let final = base + "_final.weights", last = base + "_last.weights"
        let finalExists = FileManager.default.fileExists(atPath: final)
        if finalExists {
            options.weightsPath = final
            options.clear = true
        } else if FileManager.default.fileExists(atPath: last) {
            options.weightsPath = last
        }
        var onIteration: ((TrainingEvent.IterationReport) -> Void)?
        let trainer = try Trainer(options: options) { event in
            if let line = event.message { logFile.write(line) }
            if case .iteration(let report) = event { onIteration?(report) }
        }
        var losses = (try? LossLog.read(directory + "/loss.csv")) ?? []
        var seconds = (try? String(contentsOfFile: directory + "/seconds.txt", encoding: .utf8)).flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
        if !finalExists {
            losses.removeAll { $0.iteration > trainer.iteration }
            if trainer.iteration > 0 { log("\(label): resuming from \(last) at iteration \(trainer.iteration)") }
            for line in trainer.describeStart() { logFile.write(line) }
            var lastReport = Date.distantPast
            let runStart = Date()
            onIteration = { [self] report in
                let iteration = report.iteration, loss = report.loss, average = report.averageLoss
                losses.append(LossLog.Row(iteration: iteration, loss: Double(loss), averageLoss: Double(average)))
                // Every iteration, so that the rows always cover the newest checkpoint (rows past it are dropped on resume).
                try? LossLog.write(losses, to: directory + "/loss.csv")
                let eta = progress(1)
                if Date().timeIntervalSince(lastReport) >= 10 || iteration == trainer.maxBatches {
                    lastReport = Date()
                    log(String(format: "%@: iteration %d/%d, loss %.4f (avg %.4f); all runs ETA %@", label, iteration, trainer.maxBatches,
                               Double(loss), Double(average), formatDuration(eta)))
                }
            }
            let summary = try trainer.run(stop: stop)
            seconds += Date().timeIntervalSince(runStart)
            try LossLog.write(losses, to: directory + "/loss.csv")
            try AtomicFile.write(String(seconds), to: directory + "/seconds.txt")
            if summary.interrupted {
                log("\(label): interrupted at iteration \(summary.iterations); saved \(summary.weightsPath) — run the same command to resume")
                return nil
            }
        }
        log("\(label): evaluating on the valid list")
        let evaluation = try trainer.evaluate()
        let trainLoss = losses.last?.averageLoss ?? .nan
        let metric = (trainer.isClassifier ? evaluation.top1 : evaluation.map50) ?? .nan
        let result = AblationRun(activation: activation, seed: seed, metric: metric,
                                 loss: trainer.isClassifier ? evaluation.loss ?? .nan : trainLoss, trainLoss: trainLoss,
                                 top1: evaluation.top1, top5: evaluation.top5, map50: evaluation.map50, cocoAP: evaluation.cocoAP,
                                 iterations: losses.last?.iteration ?? trainer.iteration, seconds: seconds, weights: final)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(result), to: directory + "/result.json")
        return result
    }

    /// `out/plan.json`: what the command was asked, so that a second command with other options into the same
    /// folder is refused rather than mixing runs.
    private func writePlan() throws {
        let text = """
        {"cfg": "\(jsonEscaped(plan.cfgPath))", "data": "\(jsonEscaped(plan.dataPath))", "max_batches": \(plan.maxBatches.map(String.init) ?? "null"), \
        "set": [\(plan.overrides.map { "\"" + jsonEscaped($0.description) + "\"" }.joined(separator: ", "))]}

        """
        let path = plan.out + "/plan.json"
        if let old = try? String(contentsOfFile: path, encoding: .utf8), old != text {
            throw SwiftnetError.invalid("\(path): this folder holds an ablation of another cfg, data, --max-batches or --set; use another --out")
        }
        try AtomicFile.write(text, to: path)
    }
}

/// A run's `loss.csv`: iteration, loss and running-average loss, one row per iteration.
public enum LossLog {
    public struct Row: Sendable, Equatable {
        public var iteration: Int
        public var loss: Double
        public var averageLoss: Double
    }

    public static func read(_ path: String) throws -> [Row] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let f = line.split(separator: ",")
            guard f.count == 3, let i = Int(f[0]), let l = Double(f[1]), let a = Double(f[2]) else { return nil }
            return Row(iteration: i, loss: l, averageLoss: a)
        }
    }

    public static func write(_ rows: [Row], to path: String) throws {
        try AtomicFile.write("iteration,loss,avg_loss\n" + rows.map { "\($0.iteration),\($0.loss),\($0.averageLoss)\n" }.joined(), to: path)
    }
}

/// Appends lines to a log file.
final class AppendingLog {
    private let handle: FileHandle

    init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw SwiftnetError.file(path: path, message: "cannot open the log for writing")
        }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    func write(_ line: String) { handle.write(Data((line + "\n").utf8)) }

    deinit { try? handle.close() }
}
