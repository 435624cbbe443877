extension EvaluationReport {
    /// The human-readable report: darknet's `detector map` lines (exact printf formats of
    /// `validate_detector_map`), then a COCO block laid out like pycocotools' `summarize()`,
    /// then what the loaders skipped.
    public func text() -> String {
        var out = ""
        if let d = darknet {
            out += darknetText(d)
        } else if let reason = darknetUnavailable {
            out += "== darknet `detector map` protocol: unavailable (\(reason))\n"
        }
        if let c = coco {
            out += "\n" + cocoText(c)
        } else if let reason = cocoUnavailable {
            out += "\n== COCO protocol: unavailable (\(reason))\n"
        }
        out += "\n" + inputText()
        return out
    }

    private func darknetText(_ d: DarknetResult) -> String {
        let o = d.options
        var s = "== darknet `detector map` protocol (AlexeyAB validate_detector_map): IoU > \(cFormat("%.2f", Double(o.iouThreshold)))"
        s += ", mAP over all \(d.classes.count) classes\n"
        s += cFormat("\n detections_count = %d, unique_truth_count = %d  \n", d.detectionsCount, d.uniqueTruthCount)
        for c in d.classes {
            // "class_id = %d, name = %s, ap = %2.2f%%   \t (TP = %d, FP = %d) \n"
            s += cFormat("class_id = %d, name = ", c.classIndex) + c.name
            s += cFormat(", ap = %2.2f%%   \t (TP = %d, FP = %d) \n", c.averagePrecision * 100,
                         c.truePositivesAtThreshold, c.falsePositivesAtThreshold)
        }
        let p = d.atConfThreshold
        s += cFormat("\n for conf_thresh = %1.2f, precision = %1.2f, recall = %1.2f, F1-score = %1.2f \n",
                     Double(p.confThreshold), Double(p.precision), Double(p.recall), Double(p.f1))
        s += cFormat(" for conf_thresh = %0.2f, TP = %d, FP = %d, FN = %d, average IoU = %2.2f %% \n",
                     Double(p.confThreshold), p.truePositives, p.falsePositives, p.falseNegatives,
                     Double(p.averageIoU * 100))
        s += cFormat("\n IoU threshold = %2.0f %%, ", Double(o.iouThreshold * 100))
        s += o.points > 0 ? cFormat("used %d Recall-points \n", o.points)
                          : "used Area-Under-Curve for each unique Recall \n"
        s += cFormat(" mean average precision (mAP@%0.2f) = %f, or %2.2f %% \n",
                     Double(o.iouThreshold), d.meanAveragePrecision, d.meanAveragePrecision * 100)
        return s
    }

    private func cocoText(_ c: CocoResult) -> String {
        var s = "== COCO protocol (pycocotools 2.0.11 COCOeval, iouType=bbox, summarize()):\n"
        let v = c.stats.values
        let lines: [(ap: Bool, iou: String, area: String, maxDets: Int)] = [
            (true, "0.50:0.95", "all", 100), (true, "0.50", "all", 100), (true, "0.75", "all", 100),
            (true, "0.50:0.95", "small", 100), (true, "0.50:0.95", "medium", 100), (true, "0.50:0.95", "large", 100),
            (false, "0.50:0.95", "all", 1), (false, "0.50:0.95", "all", 10), (false, "0.50:0.95", "all", 100),
            (false, "0.50:0.95", "small", 100), (false, "0.50:0.95", "medium", 100), (false, "0.50:0.95", "large", 100),
        ]
        for (i, l) in lines.enumerated() {
            let title = l.ap ? "Average Precision" : "Average Recall"
            // ' {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}'
            s += " " + pad(title, 18, left: true) + " " + (l.ap ? "(AP)" : "(AR)") + " @[ IoU=" + pad(l.iou, 9, left: true)
            s += " | area=" + pad(l.area, 6, left: false) + " | maxDets=" + cFormat("%3d", l.maxDets)
            s += " ] = " + cFormat("%0.3f", v[i]) + "\n"
        }
        s += "per class (area=all, maxDets=100; '-' = no ground truth, excluded from the means):\n"
        func f(_ x: Double?) -> String { x.map { cFormat("%0.3f", $0) } ?? "-" }
        for p in c.perClass {
            s += " class_id = \(p.classIndex), category_id = \(p.categoryId), name = \(p.name), AP = \(f(p.ap))"
            s += ", AP50 = \(f(p.ap50)), AP75 = \(f(p.ap75)), AR100 = \(f(p.ar100))\n"
        }
        return s
    }

    /// Pads with spaces to `width` (text left-aligned if `left`), like Python's `{:<n}` / `{:>n}`.
    private func pad(_ text: String, _ width: Int, left: Bool) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return left ? text + fill : fill + text
    }

    private func inputText() -> String {
        var s = "== inputs\n"
        let g = groundTruth, d = detections
        s += " ground truth: \(g.backgroundImages) background images; missing label files: \(g.missingLabelFiles)\n"
        if g.uninferableLabelPaths.count > 0 { s += " label path not inferable: \(g.uninferableLabelPaths)\n" }
        if g.imagesWithoutSize.count > 0 { s += " images without size: \(g.imagesWithoutSize)\n" }
        if g.imageIdSource == "list position" {
            s += " image ids: list positions 1, 2, … (a file stem is not all digits, or two stems repeat a number)\n"
        }
        if g.orphanAnnotations.count > 0 { s += " annotations of undeclared images/categories: \(g.orphanAnnotations)\n" }
        s += " detections: \(d.read) read, \(d.accepted) used, skipped: unknown image \(d.unknownImage)"
        s += ", unknown class \(d.unknownClass), invalid value \(d.invalidValue)\n"
        return s
    }
}
