import Dispatch

/// Options of the COCO protocol (the evaluation parameters themselves are pycocotools' defaults).
public struct CocoOptions: Sendable, Equatable {
    /// Evaluate categories on all cores (Dispatch `concurrentPerform`); results are identical either way.
    public var concurrent = true

    /// Creates options; `concurrent` spreads categories over all cores.
    public init(concurrent: Bool = true) {
        self.concurrent = concurrent
    }
}

/// pycocotools' default bbox parameters (`Params.setDetParams`).
public enum CocoParams {
    /// `np.linspace(.5, .95, 10)`: `i*step + .5` with `step = (.95-.5)/9`, last value exactly .95
    /// (the 9th value is 0.8999999999999999).
    public static let iouThresholds: [Double] = linspace(0.5, 0.95, 10)
    /// `np.linspace(0, 1, 101)`: `i*0.01`, 1 ulp above `i/100` for ten values of i.
    public static let recallThresholds: [Double] = linspace(0.0, 1.0, 101)
    /// `all`, `small`, `medium`, `large`; both bounds inclusive.
    public static let areaRanges: [(lower: Double, upper: Double)] = [
        (0, 1e10), (0, 32 * 32), (32 * 32, 96 * 96), (96 * 96, 1e10),
    ]
    /// Names of ``areaRanges`` as `summarize()` prints them.
    public static let areaLabels = ["all", "small", "medium", "large"]
    /// `maxDets`: detections kept per image and category for AR1, AR10 and everything else.
    public static let maxDetections = [1, 10, 100]

    private static func linspace(_ start: Double, _ stop: Double, _ num: Int) -> [Double] {
        let step = (stop - start) / Double(num - 1)
        var v = (0..<num).map { Double($0) * step + start }
        v[num - 1] = stop
        return v
    }
}

/// pycocotools' `evaluate()` + `accumulate()` output: the precision and recall arrays.
public struct CocoEvaluation: Sendable {
    /// Class index (into ``GroundTruth/categories``) of each evaluated category `k`, in ascending
    /// category-id order as pycocotools' `catIds`.
    public let classOrder: [Int]
    /// Ground-truth annotations per class index (crowd included).
    public let truthCounts: [Int]
    /// Detections per class index (before the 100-per-image cap).
    public let detectionCounts: [Int]
    /// `precision[T][R][K][A][M]`, row-major; −1 where a category has no non-ignored GT.
    public let precision: [Double]
    /// `recall[T][K][A][M]`, row-major; −1 where a category has no non-ignored GT.
    public let recall: [Double]

    static let T = CocoParams.iouThresholds.count, R = CocoParams.recallThresholds.count
    static let A = CocoParams.areaRanges.count, M = CocoParams.maxDetections.count

    /// `precision[t, r, k, a, m]`.
    public func precision(t: Int, r: Int, k: Int, a: Int, m: Int) -> Double {
        let K = classOrder.count
        return precision[(((t * CocoEvaluation.R + r) * K + k) * CocoEvaluation.A + a) * CocoEvaluation.M + m]
    }

    /// `recall[t, k, a, m]`.
    public func recall(t: Int, k: Int, a: Int, m: Int) -> Double {
        let K = classOrder.count
        return recall[((t * K + k) * CocoEvaluation.A + a) * CocoEvaluation.M + m]
    }
}

/// pycocotools 2.0.11 `COCOeval` (iouType `bbox`), reproduced bit for bit.
public enum CocoEvaluator {
    /// Runs `evaluate()` and `accumulate()`.
    ///
    /// Images are evaluated in ascending id order and categories in ascending id order. Per
    /// (image, category) detections are stably sorted by descending score and cut to 100, IoUs are
    /// double on pixel boxes, and each IoU threshold matches greedily to the best still-free GT
    /// (`>=`, later GT wins equal IoU, crowd GT reusable, ignored GT only if nothing else).
    /// Accumulation merges images stably by descending score, applies the 2.2e-16 epsilon, the
    /// precision envelope and a left `searchsorted` over the 101 recall levels.
    ///
    /// - Throws: ``EvalError/protocolUnavailable(protocol:reason:)`` when an object or detection
    ///   has no pixel box (image size unknown).
    public static func evaluate(groundTruth gt: GroundTruth, detections: DetectionSet,
                                options: CocoOptions = CocoOptions()) throws -> CocoEvaluation {
        guard detections.perImage.count == gt.images.count else {
            throw EvalError.inconsistentInput("detections cover \(detections.perImage.count) images, ground truth \(gt.images.count)")
        }
        let data = try Buckets(gt, detections)
        let K = data.K, T = CocoEvaluation.T, R = CocoEvaluation.R, A = CocoEvaluation.A, M = CocoEvaluation.M
        var precision = [Double](repeating: -1, count: T * R * K * A * M)
        var recall = [Double](repeating: -1, count: T * K * A * M)
        // Biggest categories first, so the last iterations of the parallel loop are short.
        let schedule = (0..<K).sorted { data.work(k: $0) > data.work(k: $1) }
        precision.withUnsafeMutableBufferPointer { p in
            recall.withUnsafeMutableBufferPointer { rc in
                let out = Output(precision: p, recall: rc, K: K)
                if options.concurrent, K > 1 {
                    DispatchQueue.concurrentPerform(iterations: K) { i in
                        var evaluator = CategoryEvaluator(data: data, k: schedule[i])
                        evaluator.run(into: out)
                    }
                } else {
                    for k in 0..<K {
                        var evaluator = CategoryEvaluator(data: data, k: k)
                        evaluator.run(into: out)
                    }
                }
            }
        }
        var truthCounts = [Int](repeating: 0, count: K), detectionCounts = [Int](repeating: 0, count: K)
        for k in 0..<K {
            truthCounts[data.classOrder[k]] = data.gtStart[(k + 1) * data.I] - data.gtStart[k * data.I]
            detectionCounts[data.classOrder[k]] = data.dtStart[(k + 1) * data.I] - data.dtStart[k * data.I]
        }
        return CocoEvaluation(classOrder: data.classOrder, truthCounts: truthCounts, detectionCounts: detectionCounts,
                              precision: precision, recall: recall)
    }
}

/// Where categories write their slices of the result arrays (disjoint per category).
private struct Output: @unchecked Sendable {
    let precision: UnsafeMutableBufferPointer<Double>
    let recall: UnsafeMutableBufferPointer<Double>
    let K: Int
}

/// Ground truth and detections regrouped by (category, image) bucket `k * I + imagePosition`,
/// keeping file order inside each bucket.
private final class Buckets: @unchecked Sendable {
    let K: Int, I: Int
    let classOrder: [Int]
    let gtStart: [Int], dtStart: [Int]
    let gtBox: [Double], gtArea: [Double], gtCrowd: [Bool], gtId: [Int]
    let dtBox: [Double], dtScore: [Double]

    init(_ gt: GroundTruth, _ dets: DetectionSet) throws {
        K = gt.categories.count
        I = gt.images.count
        classOrder = (0..<K).sorted { gt.categories[$0].id < gt.categories[$1].id }
        var kOf = [Int](repeating: 0, count: K)
        for (k, c) in classOrder.enumerated() { kOf[c] = k }
        let imageOrder = (0..<I).sorted { gt.images[$0].id < gt.images[$1].id }

        var gCount = [Int](repeating: 0, count: K * I + 1), dCount = [Int](repeating: 0, count: K * I + 1)
        for (pos, img) in imageOrder.enumerated() {
            for o in gt.objects[img] { gCount[kOf[o.classIndex] * I + pos] += 1 }
            for d in dets.perImage[img] { dCount[kOf[d.classIndex] * I + pos] += 1 }
        }
        gtStart = Buckets.prefixSums(gCount)
        dtStart = Buckets.prefixSums(dCount)

        var gFill = gtStart, dFill = dtStart
        let nG = gtStart[K * I], nD = dtStart[K * I]
        var gtBox = [Double](repeating: 0, count: 4 * nG), gtArea = [Double](repeating: 0, count: nG)
        var gtCrowd = [Bool](repeating: false, count: nG), gtId = [Int](repeating: 0, count: nG)
        var dtBox = [Double](repeating: 0, count: 4 * nD), dtScore = [Double](repeating: 0, count: nD)
        for (pos, img) in imageOrder.enumerated() {
            for o in gt.objects[img] {
                guard let b = o.pixel else { throw Buckets.noSize(gt.images[img]) }
                let b0 = kOf[o.classIndex] * I + pos
                let i = gFill[b0]
                gFill[b0] += 1
                gtBox[4 * i] = b.x; gtBox[4 * i + 1] = b.y; gtBox[4 * i + 2] = b.width; gtBox[4 * i + 3] = b.height
                gtArea[i] = o.area
                gtCrowd[i] = o.isCrowd
                gtId[i] = o.annotationId
            }
            for d in dets.perImage[img] {
                guard let b = d.pixel else { throw Buckets.noSize(gt.images[img]) }
                let b0 = kOf[d.classIndex] * I + pos
                let i = dFill[b0]
                dFill[b0] += 1
                dtBox[4 * i] = b.x; dtBox[4 * i + 1] = b.y; dtBox[4 * i + 2] = b.width; dtBox[4 * i + 3] = b.height
                dtScore[i] = d.score + 0.0   // -0.0 → 0.0 so that keys compare like numpy
            }
        }
        self.gtBox = gtBox; self.gtArea = gtArea; self.gtCrowd = gtCrowd; self.gtId = gtId
        self.dtBox = dtBox; self.dtScore = dtScore
    }

    func work(k: Int) -> Int { dtStart[(k + 1) * I] - dtStart[k * I] + gtStart[(k + 1) * I] - gtStart[k * I] }

    private static func prefixSums(_ counts: [Int]) -> [Int] {
        var starts = [Int](repeating: 0, count: counts.count)
        var sum = 0
        for i in 0..<counts.count {
            starts[i] = sum
            sum += counts[i]
        }
        return starts
    }

    private static func noSize(_ image: EvalImage) -> EvalError {
        .protocolUnavailable(protocol: "COCO", reason: "no pixel boxes for \(image.path): image size unknown")
    }
}

/// `evaluateImg` over all images of one category, then `accumulate` for it.
private struct CategoryEvaluator {
    let data: Buckets
    let k: Int

    static let maxDet = CocoParams.maxDetections[CocoParams.maxDetections.count - 1]

    // Per kept detection (≤ 100 per image): score, rank within its image, and for each area range
    // a mask word: bit t = TP at threshold t, bit 16+t = FP at threshold t (neither = ignored).
    private var score: [Double] = []
    private var rank: [Int32] = []
    private var masks: [UInt32] = []
    private var nonIgnoredTruth = [Int](repeating: 0, count: CocoEvaluation.A)

    init(data: Buckets, k: Int) {
        self.data = data
        self.k = k
    }

    mutating func run(into out: Output) {
        evaluateImages()
        accumulate(into: out)
    }

    private mutating func evaluateImages() {
        let T = CocoEvaluation.T, A = CocoEvaluation.A
        let thresholds = CocoParams.iouThresholds.map { min($0, 1 - 1e-10) }
        let ranges = CocoParams.areaRanges
        var order: [Int] = [], ious: [Double] = []
        var perm: [Int] = [], ignoredSorted: [Bool] = [], crowdSorted: [Bool] = [], matched: [Bool] = []
        var outside: [Bool] = []
        for pos in 0..<data.I {
            let b = k * data.I + pos
            let g0 = data.gtStart[b], g1 = data.gtStart[b + 1], d0 = data.dtStart[b], d1 = data.dtStart[b + 1]
            let G = g1 - g0
            for g in g0..<g1 where !data.gtCrowd[g] {
                for a in 0..<A where data.gtArea[g] >= ranges[a].lower && data.gtArea[g] <= ranges[a].upper {
                    nonIgnoredTruth[a] += 1
                }
            }
            if d1 == d0 { continue }
            sortByScore(d0, d1, &order)
            let D = min(order.count, CategoryEvaluator.maxDet)
            ious.removeAll(keepingCapacity: true)
            for r in 0..<D {
                let d = order[r]
                let dx = data.dtBox[4 * d], dy = data.dtBox[4 * d + 1], dw = data.dtBox[4 * d + 2], dh = data.dtBox[4 * d + 3]
                for g in g0..<g1 {
                    ious.append(cocoIoU(dx: dx, dy: dy, dw: dw, dh: dh,
                                        gx: data.gtBox[4 * g], gy: data.gtBox[4 * g + 1],
                                        gw: data.gtBox[4 * g + 2], gh: data.gtBox[4 * g + 3], crowd: data.gtCrowd[g]))
                }
            }
            let first = masks.count
            for r in 0..<D {
                score.append(data.dtScore[order[r]])
                rank.append(Int32(r))
            }
            masks.append(contentsOf: repeatElement(0, count: D * A))
            for a in 0..<A {
                let (lower, upper) = ranges[a]
                // GT order: non-ignored first, stable (`np.argsort(gtIg, kind='mergesort')`).
                perm.removeAll(keepingCapacity: true)
                for pass in 0..<2 {
                    for g in 0..<G {
                        let area = data.gtArea[g0 + g]
                        let ignored = data.gtCrowd[g0 + g] || area < lower || area > upper
                        if ignored == (pass == 1) { perm.append(g) }
                    }
                }
                ignoredSorted.removeAll(keepingCapacity: true)
                crowdSorted.removeAll(keepingCapacity: true)
                for g in perm {
                    let area = data.gtArea[g0 + g]
                    ignoredSorted.append(data.gtCrowd[g0 + g] || area < lower || area > upper)
                    crowdSorted.append(data.gtCrowd[g0 + g])
                }
                outside.removeAll(keepingCapacity: true)
                for r in 0..<D {
                    let d = order[r]
                    let area = data.dtBox[4 * d + 2] * data.dtBox[4 * d + 3]
                    outside.append(area < lower || area > upper)
                }
                for t in 0..<T {
                    matched.removeAll(keepingCapacity: true)
                    matched.append(contentsOf: repeatElement(false, count: G))
                    for r in 0..<D {
                        var best = thresholds[t]
                        var m = -1
                        for gi in 0..<G {
                            if matched[gi] && !crowdSorted[gi] { continue }
                            if m > -1 && !ignoredSorted[m] && ignoredSorted[gi] { break }
                            let v = ious[r * G + perm[gi]]
                            if v < best { continue }
                            best = v
                            m = gi
                        }
                        var bit: UInt32 = 0
                        if m == -1 {
                            if !outside[r] { bit = 1 << (16 + t) }
                        } else {
                            matched[m] = true
                            // pycocotools stores the GT id; id 0 reads as "unmatched".
                            let id = data.gtId[g0 + perm[m]]
                            let ignored = ignoredSorted[m] || (id == 0 && outside[r])
                            if !ignored { bit = id != 0 ? 1 << t : 1 << (16 + t) }
                        }
                        masks[first + r * A + a] |= bit
                    }
                }
            }
        }
    }

    /// Detections of one (image, category) bucket by descending score, ties in file order.
    private func sortByScore(_ d0: Int, _ d1: Int, _ order: inout [Int]) {
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: d0..<d1)
        let s = data.dtScore
        if order.count <= 32 {
            for i in 1..<max(order.count, 1) {
                let v = order[i]
                var j = i
                while j > 0, s[order[j - 1]] < s[v] {
                    order[j] = order[j - 1]
                    j -= 1
                }
                order[j] = v
            }
        } else {
            order.sort { s[$0] > s[$1] || (s[$0] == s[$1] && $0 < $1) }
        }
    }

    private func accumulate(into out: Output) {
        let T = CocoEvaluation.T, R = CocoEvaluation.R, A = CocoEvaluation.A, M = CocoEvaluation.M, K = out.K
        let recallLevels = CocoParams.recallThresholds
        let eps = 2.220446049250313e-16   // np.spacing(1)
        // Images were visited in id order and ranks in score order, so the stable merge across
        // images is a sort on (score desc, position) .
        let s = score
        var sorted = Array(0..<score.count)
        sorted.sort { s[$0] > s[$1] || (s[$0] == s[$1] && $0 < $1) }
        var kept: [Int] = []
        var rc: [Double] = [], pr: [Double] = []
        for m in 0..<M {
            let maxDet = Int32(CocoParams.maxDetections[m])
            kept.removeAll(keepingCapacity: true)
            for i in sorted where rank[i] < maxDet { kept.append(i) }
            for a in 0..<A {
                let npig = nonIgnoredTruth[a]
                if npig == 0 { continue }
                for t in 0..<T {
                    let tpBit: UInt32 = 1 << t, fpBit: UInt32 = 1 << (16 + t)
                    var tp = 0.0, fp = 0.0
                    rc.removeAll(keepingCapacity: true)
                    pr.removeAll(keepingCapacity: true)
                    // Ignored detections add nothing to the cumulative sums, so leaving them out
                    // gives the same envelope and the same searchsorted picks.
                    for i in kept {
                        let w = masks[i * A + a]
                        if w & tpBit != 0 { tp += 1 } else if w & fpBit != 0 { fp += 1 } else { continue }
                        rc.append(tp / Double(npig))
                        pr.append(tp / (fp + tp + eps))
                    }
                    let nd = rc.count
                    out.recall[((t * K + k) * A + a) * M + m] = nd > 0 ? rc[nd - 1] : 0
                    var i = nd - 1
                    while i > 0 {
                        if pr[i] > pr[i - 1] { pr[i - 1] = pr[i] }
                        i -= 1
                    }
                    var j = 0
                    for r in 0..<R {
                        while j < nd, rc[j] < recallLevels[r] { j += 1 }
                        out.precision[(((t * R + r) * K + k) * A + a) * M + m] = j < nd ? pr[j] : 0
                    }
                }
            }
        }
    }
}
