/// Options for running both protocols.
public struct EvaluationOptions: Sendable, Equatable {
    /// darknet protocol parameters.
    public var darknet = DarknetOptions()
    /// COCO protocol parameters.
    public var coco = CocoOptions()
    /// Whether to run the darknet protocol.
    public var runDarknet = true
    /// Whether to run the COCO protocol.
    public var runCOCO = true

    /// Creates options (both protocols by default).
    public init(darknet: DarknetOptions = DarknetOptions(), coco: CocoOptions = CocoOptions(),
                runDarknet: Bool = true, runCOCO: Bool = true) {
        self.darknet = darknet
        self.coco = coco
        self.runDarknet = runDarknet
        self.runCOCO = runCOCO
    }
}

/// Both protocols' results on one set of inputs, plus what the loaders skipped.
public struct EvaluationReport: Sendable {
    /// What the ground-truth loader reported.
    public var groundTruth: GroundTruthDiagnostics
    /// What the detection loader skipped.
    public var detections: DetectionDiagnostics
    /// darknet `detector map` results, nil if not run or unavailable.
    public var darknet: DarknetResult?
    /// Why the darknet protocol could not run (for example unknown image sizes).
    public var darknetUnavailable: String?
    /// pycocotools results, nil if not run or unavailable.
    public var coco: CocoResult?
    /// Why the COCO protocol could not run (for example unknown image sizes).
    public var cocoUnavailable: String?
    /// Class names in index order (for reports).
    public var classNames: [String]
}

/// Runs the darknet and COCO protocols on the same inputs.
public enum Evaluator {
    /// Evaluates `detections` against `groundTruth` with both protocols.
    ///
    /// A protocol that cannot run on these inputs (``EvalError/protocolUnavailable(protocol:reason:)``)
    /// leaves its result nil and records why; other errors are thrown.
    public static func evaluate(groundTruth: GroundTruth, detections: DetectionSet,
                                options: EvaluationOptions = EvaluationOptions()) throws -> EvaluationReport {
        var report = EvaluationReport(groundTruth: groundTruth.diagnostics, detections: detections.diagnostics,
                                      classNames: groundTruth.categories.map(\.name))
        if options.runDarknet {
            do {
                report.darknet = try DarknetEvaluator.evaluate(groundTruth: groundTruth, detections: detections,
                                                               options: options.darknet)
            } catch let EvalError.protocolUnavailable(_, reason) {
                report.darknetUnavailable = reason
            }
        }
        if options.runCOCO {
            do {
                let evaluation = try CocoEvaluator.evaluate(groundTruth: groundTruth, detections: detections,
                                                            options: options.coco)
                report.coco = evaluation.summarize(groundTruth: groundTruth)
            } catch let EvalError.protocolUnavailable(_, reason) {
                report.cocoUnavailable = reason
            }
        }
        return report
    }
}
