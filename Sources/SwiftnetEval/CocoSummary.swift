/// The twelve numbers of pycocotools' `summarize()` (`COCOeval.stats`), −1 where undefined.
public struct CocoStats: Sendable, Equatable {
    /// AP@[.5:.95], AP@.5, AP@.75, and AP@[.5:.95] for small/medium/large areas (maxDets 100).
    public var ap, ap50, ap75, apSmall, apMedium, apLarge: Double
    /// AR@[.5:.95] with maxDets 1, 10, 100, and for small/medium/large areas (maxDets 100).
    public var ar1, ar10, ar100, arSmall, arMedium, arLarge: Double

    /// Names in `stats` order, as used in JSON reports.
    public static let names = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]

    /// The values in `COCOeval.stats` order.
    public var values: [Double] {
        [ap, ap50, ap75, apSmall, apMedium, apLarge, ar1, ar10, ar100, arSmall, arMedium, arLarge]
    }
}

/// COCO numbers of one category (area `all`, maxDets 100); nil when the category has no
/// non-ignored ground truth (pycocotools excludes it).
public struct CocoClassResult: Sendable, Equatable {
    /// Index into ``GroundTruth/categories``.
    public var classIndex: Int
    /// COCO `category_id`.
    public var categoryId: Int
    /// Category name.
    public var name: String
    /// Ground-truth annotations of the category (crowd included).
    public var truthCount: Int
    /// Detections of the category (before the per-image cap).
    public var detectionCount: Int
    /// AP@[.5:.95].
    public var ap: Double?
    /// AP@.5.
    public var ap50: Double?
    /// AP@.75.
    public var ap75: Double?
    /// AR@[.5:.95] with maxDets 100.
    public var ar100: Double?
}

/// COCO protocol results: stats, per-class values and the accumulated arrays.
public struct CocoResult: Sendable {
    /// `COCOeval.stats`.
    public var stats: CocoStats
    /// One entry per class index.
    public var perClass: [CocoClassResult]
    /// The accumulated precision/recall arrays the numbers come from.
    public var evaluation: CocoEvaluation
}

extension CocoEvaluation {
    /// pycocotools' `summarize()`: each stat is the mean of the entries > −1 of its slice, in the
    /// slice's row-major order, summed the way numpy does (pairwise).
    public func summarize(groundTruth gt: GroundTruth) -> CocoResult {
        let T = CocoEvaluation.T, R = CocoEvaluation.R, K = classOrder.count
        let all = 0, m100 = CocoParams.maxDetections.count - 1
        let t50 = CocoParams.iouThresholds.firstIndex(of: 0.5) ?? 0
        let t75 = CocoParams.iouThresholds.firstIndex(of: 0.75) ?? 5

        func ap(_ ts: [Int], a: Int, m: Int, ks: [Int]) -> Double {
            var v: [Double] = []
            for t in ts { for r in 0..<R { for k in ks { v.append(precision(t: t, r: r, k: k, a: a, m: m)) } } }
            return NumpyMean.ofDefined(v)
        }
        func ar(_ ts: [Int], a: Int, m: Int, ks: [Int]) -> Double {
            var v: [Double] = []
            for t in ts { for k in ks { v.append(recall(t: t, k: k, a: a, m: m)) } }
            return NumpyMean.ofDefined(v)
        }
        let allT = Array(0..<T), allK = Array(0..<K)
        let stats = CocoStats(
            ap: ap(allT, a: all, m: m100, ks: allK), ap50: ap([t50], a: all, m: m100, ks: allK),
            ap75: ap([t75], a: all, m: m100, ks: allK),
            apSmall: ap(allT, a: 1, m: m100, ks: allK), apMedium: ap(allT, a: 2, m: m100, ks: allK),
            apLarge: ap(allT, a: 3, m: m100, ks: allK),
            ar1: ar(allT, a: all, m: 0, ks: allK), ar10: ar(allT, a: all, m: 1, ks: allK),
            ar100: ar(allT, a: all, m: m100, ks: allK),
            arSmall: ar(allT, a: 1, m: m100, ks: allK), arMedium: ar(allT, a: 2, m: m100, ks: allK),
            arLarge: ar(allT, a: 3, m: m100, ks: allK))

        var perClass: [CocoClassResult] = []
        for c in 0..<gt.categories.count {
            let k = classOrder.firstIndex(of: c) ?? 0
            func defined(_ x: Double) -> Double? { x > -1 ? x : nil }
            perClass.append(CocoClassResult(
                classIndex: c, categoryId: gt.categories[c].id, name: gt.categories[c].name,
                truthCount: truthCounts[c], detectionCount: detectionCounts[c],
                ap: defined(ap(allT, a: all, m: m100, ks: [k])),
                ap50: defined(ap([t50], a: all, m: m100, ks: [k])),
                ap75: defined(ap([t75], a: all, m: m100, ks: [k])),
                ar100: defined(ar(allT, a: all, m: m100, ks: [k]))))
        }
        return CocoResult(stats: stats, perClass: perClass, evaluation: self)
    }
}

/// `np.mean(s[s > -1])` with numpy's summation order, so results match to the last bit.
enum NumpyMean {
    /// Mean of the entries > −1, or −1 if there are none.
    static func ofDefined(_ values: [Double]) -> Double {
        let v = values.filter { $0 > -1 }
        guard !v.isEmpty else { return -1 }
        return v.withUnsafeBufferPointer { pairwiseSum($0[...]) } / Double(v.count)
    }

    /// numpy's `pairwise_sum`: plain loop below 8 elements, 8 interleaved accumulators up to 128,
    /// otherwise split in two halves (the first a multiple of 8).
    static func pairwiseSum(_ a: Slice<UnsafeBufferPointer<Double>>) -> Double {
        let n = a.count, s = a.startIndex
        if n < 8 {
            var res = 0.0
            for i in 0..<n { res += a[s + i] }
            return res
        }
        if n <= 128 {
            var r = (0..<8).map { a[s + $0] }
            var i = 8
            while i < n - n % 8 {
                for j in 0..<8 { r[j] += a[s + i + j] }
                i += 8
            }
            var res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
            while i < n {
                res += a[s + i]
                i += 1
            }
            return res
        }
        var n2 = n / 2
        n2 -= n2 % 8
        return pairwiseSum(a[s..<(s + n2)]) + pairwiseSum(a[(s + n2)...])
    }
}
