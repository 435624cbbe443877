import Foundation
import SwiftnetData
import SwiftnetFormat

/// The five outputs of an ablation: `results.json`, `results.csv`, `table.md`, `results.png` and `curves.png`.
public struct AblationReport {
    public var plan: AblationPlan
    public var runs: [AblationRun]
    /// `top1` or `map50`.
    public var metric: String

    public init(plan: AblationPlan, runs: [AblationRun], metric: String) {
        self.plan = plan
        self.runs = runs
        self.metric = metric
    }

    /// Per activation, in the plan's order: mean, std (n − 1), min, max of the metric, mean loss, and Welch's p-value
    /// against the first activation.
    public var summaries: [AblationSummary] {
        let reference = runs.filter { $0.activation == plan.activations.first }.map(\.metric)
        return plan.activations.compactMap { activation in
            let mine = runs.filter { $0.activation == activation }
            guard !mine.isEmpty else { return nil }
            let values = mine.map(\.metric)
            let p = activation == plan.activations.first ? nil : Statistics.welch(values, reference)?.p
            return AblationSummary(activation: activation, runs: mine.count, mean: Statistics.mean(values),
                                   std: Statistics.standardDeviation(values), min: values.min() ?? .nan, max: values.max() ?? .nan,
                                   meanLoss: Statistics.mean(mine.map(\.loss)), pValue: p)
        }
    }

    public func write(to directory: String) throws {
        try AtomicFile.write(json, to: directory + "/results.json")
        try AtomicFile.write(csv, to: directory + "/results.csv")
        try AtomicFile.write(table, to: directory + "/table.md")
        try ImageIO.write(resultsPlot(), to: directory + "/results.png")
        try ImageIO.write(try curvesPlot(), to: directory + "/curves.png")
    }

    private var metricTitle: String { metric == "top1" ? "top-1" : "mAP@0.5" }

    private func number(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "null" }
        return String(format: "%.6g", v)
    }

    public var json: String {
        let runLines = runs.map { r in
            "    {\"activation\": \"\(jsonEscaped(r.activation))\", \"seed\": \(r.seed), \"metric\": \(number(r.metric)), \"loss\": \(number(r.loss)), "
                + "\"train_loss\": \(number(r.trainLoss)), \"top1\": \(number(r.top1)), \"top5\": \(number(r.top5)), \"map50\": \(number(r.map50)), "
                + "\"coco_ap\": \(number(r.cocoAP)), \"iterations\": \(r.iterations), \"seconds\": \(number(r.seconds)), \"weights\": \"\(jsonEscaped(r.weights))\"}"
        }
        let summaryLines = summaries.map { s in
            "    \"\(jsonEscaped(s.activation))\": {\"runs\": \(s.runs), \"mean\": \(number(s.mean)), \"std\": \(number(s.std)), \"min\": \(number(s.min)), "
                + "\"max\": \(number(s.max)), \"mean_loss\": \(number(s.meanLoss)), \"p_value\": \(number(s.pValue))}"
        }
        return """
        {
          "metric": "\(metric)",
          "cfg": "\(jsonEscaped(plan.cfgPath))",
          "activations": [\(plan.activations.map { "\"\(jsonEscaped($0))\"" }.joined(separator: ", "))],
          "seeds": \(plan.seeds),
          "runs": [
        \(runLines.joined(separator: ",\n"))
          ],
          "summary": {
        \(summaryLines.joined(separator: ",\n"))
          }
        }

        """
    }

    public var csv: String {
        var out = "activation,seed,metric,loss,train_loss,top1,top5,map50,coco_ap,iterations,seconds\n"
        func cell(_ v: Double?) -> String { v.map { $0.isFinite ? String(format: "%.6g", $0) : "" } ?? "" }
        for r in runs {
            out += "\(r.activation),\(r.seed),\(cell(r.metric)),\(cell(r.loss)),\(cell(r.trainLoss)),\(cell(r.top1)),\(cell(r.top5)),"
                + "\(cell(r.map50)),\(cell(r.cocoAP)),\(r.iterations),\(String(format: "%.1f", r.seconds))\n"
        }
        return out
    }

    public var table: String {
        let first = plan.activations.first ?? ""
        let lossName = metric == "top1" ? "mean loss (valid)" : "mean loss (training, final avg)"
        // Detectors also show COCO AP@[.5:.95], averaged over the runs that have it.
        let coco = metric == "map50"
        var out = "| activation | runs | mean \(metricTitle) | std | min | max | \(lossName) | p (Welch vs \(first)) |" + (coco ? " mean COCO AP |" : "") + "\n"
        out += "|---|---:|---:|---:|---:|---:|---:|---:|" + (coco ? "---:|" : "") + "\n"
        for s in summaries {
            out += String(format: "| %@ | %d | %.4f | %.4f | %.4f | %.4f | %.4f | %@ |", s.activation, s.runs, s.mean, s.std, s.min, s.max,
                          s.meanLoss, s.pValue.map { String(format: "%.3g", $0) } ?? "—")
            if coco {
                let values = runs.filter { $0.activation == s.activation }.compactMap(\.cocoAP).filter(\.isFinite)
                out += values.isEmpty ? " — |" : String(format: " %.4f |", values.reduce(0, +) / Double(values.count))
            }
            out += "\n"
        }
        return out
    }

    static let palette = [Color(220, 50, 47), Color(38, 139, 210), Color(133, 153, 0), Color(108, 113, 196),
                          Color(203, 75, 22), Color(42, 161, 152), Color(181, 137, 0), Color(88, 88, 88)]

    /// Means with ±std error bars per activation, every run as a dot beside them.
    public func resultsPlot() -> RGBImage {
        let stats = summaries
        let values = runs.map(\.metric).filter(\.isFinite) + stats.flatMap { [$0.mean - $0.std, $0.mean + $0.std] }.filter(\.isFinite)
        var low = values.min() ?? 0, high = values.max() ?? 1
        let pad = max((high - low) * 0.15, 0.01)
        low -= pad
        high += pad
        var plot = LinePlot(title: "\(metricTitle): mean +/- std over seeds", xRange: -0.5...(Double(stats.count) - 0.5), yRange: low...high)
        plot.xTickLabels = stats.enumerated().map { (Double($0.offset), $0.element.activation) }
        plot.yTitle = metricTitle
        plot.xTitle = "activation (bar: mean +/- std; dots: single runs)"
        for (k, s) in stats.enumerated() {
            let color = Self.palette[k % Self.palette.count]
            var mean = LinePlot.Series(name: s.activation, color: color, points: [(Double(k) - 0.1, s.mean)])
            mean.joined = false
            mean.markerSize = 9
            mean.errorBars = [(Double(k) - 0.1, s.mean - s.std, s.mean + s.std)]
            var dots = LinePlot.Series(name: "", color: color, points: runs.filter { $0.activation == s.activation }.enumerated().map {
                (Double(k) + 0.12 + 0.04 * Double($0.offset % 4), $0.element.metric)
            })
            dots.joined = false
            dots.markerSize = 5
            plot.series += [mean, dots]
        }
        var image = RGBImage(width: plot.width, height: plot.height)
        plot.draw(into: &image, legend: false)
        return image
    }

    /// Running-average training loss per iteration: the mean over seeds as a line, ± std as a band.
    public func curvesPlot() throws -> RGBImage {
        var series: [LinePlot.Series] = []
        var highest = 0.0, last = 1
        for (k, activation) in plan.activations.enumerated() {
            let logs = runs.filter { $0.activation == activation }.compactMap {
                try? LossLog.read(plan.directory(activation: $0.activation, seed: $0.seed) + "/loss.csv")
            }.filter { !$0.isEmpty }
            guard let length = logs.map(\.count).min(), length > 0 else { continue }
            var points: [(x: Double, y: Double)] = [], band: [(x: Double, low: Double, high: Double)] = []
            // At most ~600 points per curve: the image is 640 pixels wide.
            let stride = max(1, length / 600)
            for i in Swift.stride(from: 0, to: length, by: stride) {
                let v = logs.map { $0[i].averageLoss }
                let m = Statistics.mean(v), s = Statistics.standardDeviation(v)
                let x = Double(logs[0][i].iteration)
                points.append((x, m))
                band.append((x, m - s, m + s))
                highest = max(highest, m + s)
                last = max(last, logs[0][i].iteration)
            }
            var line = LinePlot.Series(name: "\(activation) (\(logs.count) runs)", color: Self.palette[k % Self.palette.count], points: points)
            line.band = band
            series.append(line)
        }
        // The first iterations' loss is far above the rest: the scale follows the curves after the first 5 %.
        let settled = series.flatMap { s in s.band.filter { $0.x >= Double(last) * 0.05 }.map(\.high) }.max() ?? highest
        var plot = LinePlot(title: "avg training loss, mean +/- std", xRange: 0...Double(last),
                            yRange: 0...max(1e-3, settled * 1.1))
        plot.series = series
        plot.xTitle = "iteration"
        plot.yTitle = "avg loss"
        var image = RGBImage(width: plot.width, height: plot.height)
        plot.draw(into: &image)
        return image
    }
}
