import Dispatch

/// Timings of loading and evaluating one COCO ground-truth file and one COCO results file.
public struct EvalBenchmarkResult: Sendable {
    /// Repetitions each timing is the median of.
    public var runs: Int
    /// Median seconds to parse the COCO instances file.
    public var groundTruthParseSeconds: Double
    /// Median seconds to parse the COCO results file.
    public var detectionsParseSeconds: Double
    /// Median seconds of COCO `evaluate()` + `accumulate()`.
    public var cocoEvaluateAccumulateSeconds: Double
    /// Median seconds of COCO `summarize()`.
    public var cocoSummarizeSeconds: Double
    /// Median seconds of the darknet protocol.
    public var darknetSeconds: Double
    /// Images in the ground truth.
    public var images: Int
    /// Ground-truth objects.
    public var groundTruthObjects: Int
    /// Detections used.
    public var detections: Int
    /// The evaluation of the last run.
    public var report: EvaluationReport

    /// Timings followed by the COCO stats and darknet mAP.
    public func text() -> String {
        func ms(_ s: Double) -> String { cFormat("%9.1f ms", s * 1000) }
        var out = "images \(images), ground-truth objects \(groundTruthObjects), detections \(detections); "
        out += "median of \(runs) run(s)\n"
        out += "parse ground truth (COCO JSON)   \(ms(groundTruthParseSeconds))\n"
        out += "parse detections (COCO results)  \(ms(detectionsParseSeconds))\n"
        out += "COCO evaluate + accumulate       \(ms(cocoEvaluateAccumulateSeconds))\n"
        out += "COCO summarize                   \(ms(cocoSummarizeSeconds))\n"
        out += "darknet detector map             \(ms(darknetSeconds))\n"
        if let c = report.coco {
            for (name, value) in zip(CocoStats.names, c.stats.values) { out += "  \(name) = \(value)\n" }
        }
        if let d = report.darknet { out += "  darknet mAP@0.50 (points 0) = \(d.meanAveragePrecision)\n" }
        return out
    }
}

/// The evaluation benchmark (to be exposed by the `swiftnet` CLI).
public enum EvalBenchmark {
    /// Parses `groundTruthPath` (COCO instances) and `detectionsPath` (COCO results) and runs both
    /// protocols `runs` times, timing each stage separately.
    public static func run(groundTruthPath: String, detectionsPath: String, runs: Int = 5,
                           options: EvaluationOptions = EvaluationOptions()) throws -> EvalBenchmarkResult {
        let n = max(1, runs)
        var tGT: [Double] = [], tDets: [Double] = [], tCoco: [Double] = [], tSum: [Double] = [], tDark: [Double] = []
        var last: (GroundTruth, DetectionSet, EvaluationReport)?
        for _ in 0..<n {
            var t = now()
            let gt = try GroundTruth.loadCOCO(path: groundTruthPath)
            tGT.append(now() - t)
            t = now()
            let dets = try DetectionSet.loadCOCOResults(path: detectionsPath, groundTruth: gt)
            tDets.append(now() - t)
            var report = EvaluationReport(groundTruth: gt.diagnostics, detections: dets.diagnostics,
                                          classNames: gt.categories.map(\.name))
            t = now()
            let evaluation = try CocoEvaluator.evaluate(groundTruth: gt, detections: dets, options: options.coco)
            tCoco.append(now() - t)
            t = now()
            report.coco = evaluation.summarize(groundTruth: gt)
            tSum.append(now() - t)
            t = now()
            report.darknet = try DarknetEvaluator.evaluate(groundTruth: gt, detections: dets, options: options.darknet)
            tDark.append(now() - t)
            last = (gt, dets, report)
        }
        guard let (gt, dets, report) = last else { throw EvalError.inconsistentInput("no benchmark run") }
        return EvalBenchmarkResult(runs: n, groundTruthParseSeconds: median(tGT), detectionsParseSeconds: median(tDets),
                                   cocoEvaluateAccumulateSeconds: median(tCoco), cocoSummarizeSeconds: median(tSum),
                                   darknetSeconds: median(tDark), images: gt.images.count,
                                   groundTruthObjects: gt.objectCount, detections: dets.count, report: report)
    }

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    private static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
