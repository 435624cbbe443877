import SwiftnetCore

/// How darknet turns `-points N` into recall levels and an average.
public enum RecallLevelArithmetic: String, Sendable, CaseIterable {
    /// gcc `-Ofast` builds (darknet's Makefile and CMake Release, i.e. Linux binaries):
    /// level `point * (1.0/(N-1))` and `sum * (1.0/N)`. Its 101-point grid equals COCO's.
    case ofast
    /// The division written in the source (`-O0`/MSVC builds): `point * 1.0 / (N-1)` and `sum / N`.
    case exactDivision
}

/// Parameters of `darknet detector map`.
public struct DarknetOptions: Sendable, Equatable {
    /// `-iou_thresh` (float32, default 0.5); a match needs IoU strictly greater.
    public var iouThreshold: Float = 0.5
    /// `-thresh` (float32, default 0.25): the operating point of the TP/FP/precision/recall lines.
    public var confThreshold: Float = 0.25
    /// `-points`: 0 = area under the curve for each unique recall (default), N ≥ 2 = N recall points.
    public var points = 0
    /// Recall-level arithmetic for `points` ≥ 2.
    public var arithmetic = RecallLevelArithmetic.ofast
    /// darknet `map` keeps class probabilities above 0.005 (`get_network_boxes` threshold);
    /// entries at or below this are dropped before anything else.
    public var confidenceFloor: Float = 0.005
    /// darknet has no crowd notion; COCO `iscrowd` objects are left out of its labels unless this is set.
    public var crowdAsLabels = false

    /// Creates options; the defaults are `darknet detector map`'s.
    public init(iouThreshold: Float = 0.5, confThreshold: Float = 0.25, points: Int = 0,
                arithmetic: RecallLevelArithmetic = .ofast, confidenceFloor: Float = 0.005, crowdAsLabels: Bool = false) {
        self.iouThreshold = iouThreshold
        self.confThreshold = confThreshold
        self.points = points
        self.arithmetic = arithmetic
        self.confidenceFloor = confidenceFloor
        self.crowdAsLabels = crowdAsLabels
    }
}

/// darknet's "for conf_thresh = ..." lines (float32 like darknet).
public struct DarknetOperatingPoint: Sendable, Equatable {
    /// `-thresh`.
    public var confThreshold: Float
    /// Entries above the threshold whose GT no earlier entry of the same image had (array order).
    public var truePositives: Int
    /// The other entries above the threshold.
    public var falsePositives: Int
    /// Ground-truth objects minus ``truePositives``.
    public var falseNegatives: Int
    /// TP/(TP+FP); NaN when there is no detection above the threshold (darknet prints `-nan`).
    public var precision: Float
    /// TP/(TP+FN).
    public var recall: Float
    /// 2·P·R/(P+R) in float32 (NaN when undefined).
    public var f1: Float
    /// Σ IoU of the TPs / (TP+FP), darknet's "average IoU".
    public var averageIoU: Float
}

/// Per-class darknet results.
public struct DarknetClassResult: Sendable {
    /// YOLO class index.
    public var classIndex: Int
    /// Class name.
    public var name: String
    /// COCO `category_id` of the class.
    public var categoryId: Int
    /// Ground-truth objects of this class (`truth_classes_count`).
    public var truthCount: Int
    /// Ranked entries of this class.
    public var detectionCount: Int
    /// TP and FP over all ranks.
    public var truePositives: Int
    /// See ``truePositives``.
    public var falsePositives: Int
    /// TP and FP at the confidence threshold (the per-class report line).
    public var truePositivesAtThreshold: Int
    /// See ``truePositivesAtThreshold``.
    public var falsePositivesAtThreshold: Int
    /// AP for the options the evaluation ran with.
    public var averagePrecision: Double

    /// Precision and recall after each of this class's ranks (double, as darknet computes them).
    let precisions: [Double]
    let recalls: [Double]

    /// Recall and precision after each rank, best confidence first.
    public var precisionRecallCurve: [(recall: Double, precision: Double)] { zip(recalls, precisions).map { ($0, $1) } }

    /// The points AP sums for a `-points` setting. 0: at every rank where recall grows, that recall and the best
    /// precision at it or any higher recall (AP = Σ Δrecall · precision over them). N: the N recall levels and their
    /// interpolated precision, 0 past the highest recall (AP = their mean).
    public func integratedPoints(points: Int, arithmetic: RecallLevelArithmetic = .ofast) -> [(recall: Double, precision: Double)] {
        guard !precisions.isEmpty else { return [] }
        var suffixMax = precisions
        var k = suffixMax.count - 2
        while k >= 0 {
            if suffixMax[k + 1] > suffixMax[k] { suffixMax[k] = suffixMax[k + 1] }
            k -= 1
        }
        if points == 0 {
            return recalls.indices.filter { $0 == 0 ? recalls[0] > 0 : recalls[$0] != recalls[$0 - 1] }.map { (recalls[$0], suffixMax[$0]) }
        }
        let step = 1.0 / Double(points - 1)
        var j = 0
        return (0..<points).map { point in
            let level = arithmetic == .ofast ? Double(point) * step : Double(point) * 1.0 / Double(points - 1)
            while j < recalls.count, recalls[j] < level { j += 1 }
            return (level, j < recalls.count ? suffixMax[j] : 0)
        }
    }

    /// AP of this class for any `-points` setting (0 = area under the curve).
    public func averagePrecision(points: Int, arithmetic: RecallLevelArithmetic = .ofast) -> Double {
        guard !precisions.isEmpty else { return 0 }
        if points == 0 { return areaUnderCurve() }
        return pointAverage(points, arithmetic)
    }

    /// `-points 0`: walk the ranks backwards keeping the best precision seen, summing
    /// recall steps times that precision, then the first rank's recall times it.
    private func areaUnderCurve() -> Double {
        var lastRecall = recalls[recalls.count - 1]
        var lastPrecision = precisions[precisions.count - 1]
        var ap = 0.0
        var k = recalls.count - 2
        while k >= 0 {
            let delta = lastRecall - recalls[k]
            lastRecall = recalls[k]
            if precisions[k] > lastPrecision { lastPrecision = precisions[k] }
            ap += delta * lastPrecision
            k -= 1
        }
        ap += lastRecall * lastPrecision
        return ap
    }

    /// `-points N`: mean over N recall levels of the best precision at recall ≥ level. Recall is
    /// non-decreasing along the ranks, so that best precision is a suffix maximum.
    private func pointAverage(_ n: Int, _ arithmetic: RecallLevelArithmetic) -> Double {
        var suffixMax = precisions
        var k = suffixMax.count - 2
        while k >= 0 {
            if suffixMax[k + 1] > suffixMax[k] { suffixMax[k] = suffixMax[k + 1] }
            k -= 1
        }
        let step = 1.0 / Double(n - 1)
        var sum = 0.0
        var j = 0
        for point in 0..<n {
            let level = arithmetic == .ofast ? Double(point) * step : Double(point) * 1.0 / Double(n - 1)
            while j < recalls.count, recalls[j] < level { j += 1 }
            if j == recalls.count { break }
            sum += suffixMax[j]
        }
        return arithmetic == .ofast ? sum * (1.0 / Double(n)) : sum / Double(n)
    }
}

/// Counts that explain where darknet and COCO matching differ.
public struct DarknetMatchDiagnostics: Sendable, Equatable {
    /// Same-class (entry, GT) pairs whose IoU equals the threshold exactly (not a match in darknet).
    public var iouExactlyThreshold = 0
    /// Ranked false positives whose best GT was already taken.
    public var fpBestTruthTaken = 0
    /// Of those, the ones where another same-class GT above the threshold was still free.
    public var fpBestTruthTakenOtherFree = 0
}

/// The result of `darknet detector map`.
public struct DarknetResult: Sendable {
    /// The options the evaluation ran with.
    public var options: DarknetOptions
    /// Ranked entries (`detections_count`).
    public var detectionsCount: Int
    /// Ground-truth objects (`unique_truth_count`).
    public var uniqueTruthCount: Int
    /// Per-class results, in class index order.
    public var classes: [DarknetClassResult]
    /// mAP for ``options``: Σ AP over **all** classes / class count.
    public var meanAveragePrecision: Double
    /// The "for conf_thresh" lines.
    public var atConfThreshold: DarknetOperatingPoint
    /// Matching details (ties at the threshold, FPs from taken GT).
    public var diagnostics: DarknetMatchDiagnostics

    /// mAP for any `-points` setting.
    public func meanAveragePrecision(points: Int, arithmetic: RecallLevelArithmetic = .ofast) -> Double {
        guard !classes.isEmpty else { return 0 }
        var sum = 0.0
        for c in classes { sum += c.averagePrecision(points: points, arithmetic: arithmetic) }
        return sum / Double(classes.count)
    }
}

/// darknet's `validate_detector_map` (AlexeyAB `src/detector.c`) on given ground truth and detections.
public enum DarknetEvaluator {
    /// Runs the darknet protocol.
    ///
    /// Per image in list order, every entry (in array order) is matched once to the same-class
    /// label with the largest float32 IoU strictly above the threshold (first label wins ties),
    /// regardless of other entries. All entries of all classes are then ranked by a stable sort on
    /// descending probability (glibc's merge-sort qsort: ties keep image, box, class order); an
    /// entry is a TP if its GT is not yet claimed, otherwise an FP (no fallback GT).
    ///
    /// - Throws: ``EvalError/protocolUnavailable(protocol:reason:)`` when a box has no normalized
    ///   form (unknown image size), or for `points` = 1 (darknet divides by zero) or < 0.
    public static func evaluate(groundTruth gt: GroundTruth, detections: DetectionSet,
                                options: DarknetOptions = DarknetOptions()) throws -> DarknetResult {
        guard options.points == 0 || options.points >= 2 else {
            throw EvalError.protocolUnavailable(protocol: "darknet", reason: "-points must be 0 or at least 2")
        }
        guard detections.perImage.count == gt.images.count else {
            throw EvalError.inconsistentInput("detections cover \(detections.perImage.count) images, ground truth \(gt.images.count)")
        }
        let classCount = gt.categories.count
        let iouThreshold = options.iouThreshold, confThreshold = options.confThreshold

        var truthPerClass = [Int](repeating: 0, count: classCount)
        var entries: [Entry] = []
        entries.reserveCapacity(detections.count)
        var diagnostics = DarknetMatchDiagnostics()
        var tpAt = [Int](repeating: 0, count: classCount), fpAt = [Int](repeating: 0, count: classCount)
        var iouSum: Float = 0
        var uniqueTruthCount = 0
        var labelClass: [Int] = [], labelBox: [Box] = []
        var labelImage: [Int32] = []

        for (k, image) in gt.images.enumerated() {
            let base = uniqueTruthCount
            let firstLabel = labelClass.count
            for o in gt.objects[k] where options.crowdAsLabels || !o.isCrowd {
                guard let box = o.relative else { throw noSize(image) }
                labelClass.append(o.classIndex)
                labelBox.append(box)
                labelImage.append(Int32(k))
                truthPerClass[o.classIndex] += 1
            }
            let labelCount = labelClass.count - firstLabel
            let imageEntriesStart = entries.count
            for d in detections.perImage[k] {
                let p = d.probability
                guard p > 0, p > options.confidenceFloor else { continue }
                guard let box = d.relative else { throw noSize(image) }
                var truth = -1
                var bestIoU: Float = 0
                for j in 0..<labelCount where labelClass[firstLabel + j] == d.classIndex {
                    let iou = box.iou(labelBox[firstLabel + j])
                    if iou == iouThreshold { diagnostics.iouExactlyThreshold += 1 }
                    if iou > iouThreshold, iou > bestIoU {
                        bestIoU = iou
                        truth = base + j
                    }
                }
                if p > confThreshold {
                    // TP unless an earlier entry of this image (any probability) has the same GT.
                    var seen = false
                    for e in entries[imageEntriesStart...] where e.truth == truth {
                        seen = true
                        break
                    }
                    if truth >= 0, !seen {
                        iouSum += bestIoU
                        tpAt[d.classIndex] += 1
                    } else {
                        fpAt[d.classIndex] += 1
                    }
                }
                entries.append(Entry(probability: p, classIndex: Int32(d.classIndex), truth: Int32(truth),
                                     box: box))
            }
            uniqueTruthCount += labelCount
        }

        // Stable sort on descending probability: key = (inverted float bits, entry index).
        // Probabilities are > 0, so their bit patterns order like their values.
        var keys = [UInt64](repeating: 0, count: entries.count)
        for (i, e) in entries.enumerated() {
            keys[i] = UInt64(UInt32.max - e.probability.bitPattern) << 32 | UInt64(i)
        }
        keys.sort()

        var claimed = [Bool](repeating: false, count: uniqueTruthCount)
        var tp = [Int](repeating: 0, count: classCount), fp = [Int](repeating: 0, count: classCount)
        var precisions = [[Double]](repeating: [], count: classCount)
        var recalls = [[Double]](repeating: [], count: classCount)
        for key in keys {
            let e = entries[Int(key & 0xFFFF_FFFF)]
            let c = Int(e.classIndex)
            if e.truth >= 0, !claimed[Int(e.truth)] {
                claimed[Int(e.truth)] = true
                tp[c] += 1
            } else {
                fp[c] += 1
                if e.truth >= 0 {
                    diagnostics.fpBestTruthTaken += 1
                    if otherFreeTruth(e, labelClass, labelBox, labelImage, claimed, iouThreshold) {
                        diagnostics.fpBestTruthTakenOtherFree += 1
                    }
                }
            }
            precisions[c].append(Double(tp[c]) / Double(tp[c] + fp[c]))
            recalls[c].append(truthPerClass[c] > 0 ? Double(tp[c]) / Double(truthPerClass[c]) : 0)
        }

        var classes: [DarknetClassResult] = []
        var apSum = 0.0
        for c in 0..<classCount {
            var r = DarknetClassResult(
                classIndex: c, name: gt.categories[c].name, categoryId: gt.categories[c].id,
                truthCount: truthPerClass[c], detectionCount: precisions[c].count,
                truePositives: tp[c], falsePositives: fp[c],
                truePositivesAtThreshold: tpAt[c], falsePositivesAtThreshold: fpAt[c],
                averagePrecision: 0, precisions: precisions[c], recalls: recalls[c])
            r.averagePrecision = r.averagePrecision(points: options.points, arithmetic: options.arithmetic)
            apSum += r.averagePrecision
            classes.append(r)
        }

        let tpTotal = tpAt.reduce(0, +), fpTotal = fpAt.reduce(0, +)
        let fnTotal = uniqueTruthCount - tpTotal
        if tpTotal + fpTotal > 0 { iouSum = iouSum / Float(tpTotal + fpTotal) }
        let precision = Float(tpTotal) / (Float(tpTotal) + Float(fpTotal))
        let recall = Float(tpTotal) / (Float(tpTotal) + Float(fnTotal))
        let f1 = 2 * precision * recall / (precision + recall)
        let point = DarknetOperatingPoint(confThreshold: confThreshold, truePositives: tpTotal, falsePositives: fpTotal,
                                          falseNegatives: fnTotal, precision: precision, recall: recall, f1: f1,
                                          averageIoU: iouSum)
        return DarknetResult(options: options, detectionsCount: entries.count, uniqueTruthCount: uniqueTruthCount,
                             classes: classes, meanAveragePrecision: classCount > 0 ? apSum / Double(classCount) : 0,
                             atConfThreshold: point, diagnostics: diagnostics)
    }

    private struct Entry {
        var probability: Float
        var classIndex: Int32
        var truth: Int32
        var box: Box
    }

    private static func noSize(_ image: EvalImage) -> EvalError {
        .protocolUnavailable(protocol: "darknet", reason: "no normalized boxes for \(image.path): image size unknown")
    }

    /// Whether a same-class GT of the entry's image, other than its best one, has IoU above the
    /// threshold and is still unclaimed (COCO-style matching would have taken it).
    private static func otherFreeTruth(_ e: Entry, _ labelClass: [Int], _ labelBox: [Box], _ labelImage: [Int32],
                                       _ claimed: [Bool], _ threshold: Float) -> Bool {
        let best = Int(e.truth)
        let image = labelImage[best]
        var j = best
        while j > 0, labelImage[j - 1] == image { j -= 1 }
        while j < labelImage.count, labelImage[j] == image {
            if j != best, !claimed[j], labelClass[j] == Int(e.classIndex), e.box.iou(labelBox[j]) > threshold {
                return true
            }
            j += 1
        }
        return false
    }
}
