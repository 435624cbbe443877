import Foundation
import SwiftnetFormat

extension EvaluationReport {
    /// The machine-readable report:
    /// `{"coco": {"protocol", "stats": {"AP", …, "ARl"}, "per_class": […]},
    ///   "darknet": {"protocol", "mAP", "per_class": […], "at_conf_thresh": {…}, …}, "inputs": {…}}`.
    ///
    /// A protocol that did not run is `null`, with its reason under `"<name>_unavailable"`.
    /// float32 quantities (darknet's operating point) are written as their exact double value.
    public func json() -> String {
        var top: [(String, JSONValue)] = []
        if let c = coco {
            top.append(("coco", cocoJSON(c)))
        } else {
            top.append(("coco", .null))
            if let reason = cocoUnavailable { top.append(("coco_unavailable", .string(reason))) }
        }
        if let d = darknet {
            top.append(("darknet", darknetJSON(d)))
        } else {
            top.append(("darknet", .null))
            if let reason = darknetUnavailable { top.append(("darknet_unavailable", .string(reason))) }
        }
        top.append(("inputs", inputsJSON()))
        return JSONValue.object(top).serialized()
    }

    /// Writes ``json()`` to `path` atomically (temporary file, then rename).
    public func writeJSON(to path: String) throws {
        try AtomicFile.write(Data(json().utf8), to: path)
    }

    private func cocoJSON(_ c: CocoResult) -> JSONValue {
        let stats = zip(CocoStats.names, c.stats.values).map { ($0, JSONValue.number($1)) }
        let perClass = c.perClass.map { p -> JSONValue in
            .object([("class_index", .int(p.classIndex)), ("category_id", .int(p.categoryId)),
                     ("name", .string(p.name)), ("num_gt", .int(p.truthCount)), ("num_dets", .int(p.detectionCount)),
                     ("AP", .optional(p.ap)), ("AP50", .optional(p.ap50)), ("AP75", .optional(p.ap75)),
                     ("AR100", .optional(p.ar100))])
        }
        return .object([("protocol", .string("pycocotools 2.0.11 COCOeval bbox: evaluate, accumulate, summarize")),
                        ("stats", .object(stats)), ("per_class", .array(perClass))])
    }

    private func darknetJSON(_ d: DarknetResult) -> JSONValue {
        let o = d.options
        let perClass = d.classes.map { c -> JSONValue in
            .object([("class_index", .int(c.classIndex)), ("category_id", .int(c.categoryId)),
                     ("name", .string(c.name)), ("num_gt", .int(c.truthCount)), ("num_dets", .int(c.detectionCount)),
                     ("ap", .number(c.averagePrecision)), ("tp", .int(c.truePositives)), ("fp", .int(c.falsePositives)),
                     ("tp_at_thresh", .int(c.truePositivesAtThreshold)),
                     ("fp_at_thresh", .int(c.falsePositivesAtThreshold))])
        }
        let p = d.atConfThreshold
        let point: JSONValue = .object([
            ("conf_thresh", .number(Double(p.confThreshold))), ("TP", .int(p.truePositives)),
            ("FP", .int(p.falsePositives)), ("FN", .int(p.falseNegatives)),
            ("precision", .number(Double(p.precision))), ("recall", .number(Double(p.recall))),
            ("f1", .number(Double(p.f1))), ("avg_iou", .number(Double(p.averageIoU))),
        ])
        return .object([
            ("protocol", .string("AlexeyAB darknet detector map (validate_detector_map)")),
            ("iou_thresh", .number(Double(o.iouThreshold))), ("points", .int(o.points)),
            ("recall_level_arithmetic", .string(o.arithmetic.rawValue)),
            ("mAP", .number(d.meanAveragePrecision)),
            ("detections_count", .int(d.detectionsCount)), ("unique_truth_count", .int(d.uniqueTruthCount)),
            ("per_class", .array(perClass)), ("at_conf_thresh", point),
        ])
    }

    private func inputsJSON() -> JSONValue {
        func skip(_ r: SkipReport) -> JSONValue {
            .object([("count", .int(r.count)), ("examples", .array(r.examples.map { .string($0) }))])
        }
        let g = groundTruth, d = detections
        return .object([
            ("background_images", .int(g.backgroundImages)), ("missing_label_files", skip(g.missingLabelFiles)),
            ("uninferable_label_paths", skip(g.uninferableLabelPaths)), ("images_without_size", skip(g.imagesWithoutSize)),
            ("orphan_annotations", skip(g.orphanAnnotations)), ("image_id_source", .string(g.imageIdSource)),
            ("detections_read", .int(d.read)), ("detections_used", .int(d.accepted)),
            ("skipped_unknown_image", skip(d.unknownImage)), ("skipped_unknown_class", skip(d.unknownClass)),
            ("skipped_invalid_value", skip(d.invalidValue)),
        ])
    }
}
