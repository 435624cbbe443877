import Foundation
import SwiftnetFormat

/// darknet's `detector calc_anchors` (spec §7): k-means over label box sizes with the distance `1 − IoU` of boxes
/// aligned at a common corner.
public enum AnchorClustering {
    /// The outcome of ``kMeans(boxes:count:restarts:maxIterations:using:)`` (its best run).
    public struct Result: Sendable {
        /// Cluster centres sorted by area, smallest first.
        public var anchors: [Anchor]
        /// Assignment passes run (the last one changed nothing when ``converged``).
        public var iterations: Int
        /// Whether the assignments stopped changing before the iteration limit.
        public var converged: Bool
        /// Mean over the boxes of their best IoU with an anchor.
        public var averageIoU: Double
    }

    /// IoU of two boxes placed at a common corner: only their sizes matter.
    public static func iou(_ a: Anchor, _ b: Anchor) -> Double {
        let intersection = min(a.width, b.width) * min(a.height, b.height)
        let union = a.area + b.area - intersection
        return union > 0 ? intersection / union : 0
    }

    /// Mean over `boxes` of the best IoU with any of `anchors` (darknet's `avg IoU`), in 0…1.
    public static func averageIoU(boxes: [Anchor], anchors: [Anchor]) -> Double {
        guard !boxes.isEmpty, !anchors.isEmpty else { return 0 }
        let total = boxes.reduce(0.0) { sum, box in sum + anchors.map { iou(box, $0) }.max()! }
        return total / Double(boxes.count)
    }

    /// Clusters box sizes into `count` anchors, keeping the best of `restarts` runs (highest average IoU; darknet
    /// runs once, which `restarts: 1` reproduces).
    ///
    /// Each run starts from `count` boxes of distinct sizes drawn at random (a seeded shuffle, so the same generator
    /// state gives the same anchors). A pass assigns every box to the centre of highest IoU (the lowest index on
    /// ties), then moves each centre to the mean width and height of its boxes; a centre without boxes stays. Passes
    /// repeat until no assignment changes or `maxIterations` passes have run.
    ///
    /// - Throws: ``SwiftnetError/invalid(_:)`` when there are fewer distinct box sizes than `count`.
    public static func kMeans<R: RandomNumberGenerator>(boxes: [Anchor], count: Int, restarts: Int = 1, maxIterations: Int = 1000,
                                                        using generator: inout R) throws -> Result {
        guard count >= 1 else { throw SwiftnetError.invalid("the number of anchors must be at least 1, got \(count)") }
        guard restarts >= 1 else { throw SwiftnetError.invalid("the number of k-means runs must be at least 1, got \(restarts)") }
        var best: Result?
        for _ in 0..<restarts {
            let result = try singleRun(boxes: boxes, count: count, maxIterations: maxIterations, using: &generator)
            if result.averageIoU > best?.averageIoU ?? -1 { best = result }
        }
        return best!
    }

    static func singleRun<R: RandomNumberGenerator>(boxes: [Anchor], count: Int, maxIterations: Int,
                                                    using generator: inout R) throws -> Result {
        var centres: [Anchor] = []
        for index in boxes.indices.shuffled(using: &generator) where !centres.contains(boxes[index]) {
            centres.append(boxes[index])
            if centres.count == count { break }
        }
        guard centres.count == count else {
            throw SwiftnetError.invalid("\(boxes.count) boxes have \(centres.count) distinct sizes; cannot make \(count) anchors")
        }

        var assignment = [Int](repeating: -1, count: boxes.count)
        var iterations = 0
        var converged = false
        while iterations < maxIterations {
            iterations += 1
            var changed = false
            for (i, box) in boxes.enumerated() {
                var best = 0
                var bestIoU = -1.0
                for (c, centre) in centres.enumerated() {
                    let value = iou(box, centre)
                    if value > bestIoU { (best, bestIoU) = (c, value) }
                }
                if assignment[i] != best { (assignment[i], changed) = (best, true) }
            }
            if !changed {
                converged = true
                break
            }
            var sums = [(w: Double, h: Double, n: Int)](repeating: (0, 0, 0), count: count)
            for (box, c) in zip(boxes, assignment) {
                sums[c].w += box.width
                sums[c].h += box.height
                sums[c].n += 1
            }
            for c in 0..<count where sums[c].n > 0 {
                centres[c] = Anchor(sums[c].w / Double(sums[c].n), sums[c].h / Double(sums[c].n))
            }
        }
        centres.sort { $0.area < $1.area }
        return Result(anchors: centres, iterations: iterations, converged: converged,
                      averageIoU: averageIoU(boxes: boxes, anchors: centres))
    }

    /// Anchors as darknet's `calc_anchors` prints them: `%3.0f,%3.0f` pairs joined by `, `, or `%2.4f` for networks of
    /// at most 32 pixels (`fractional`).
    public static func darknetText(_ anchors: [Anchor], fractional: Bool) -> String {
        let format = fractional ? "%2.4f,%2.4f" : "%3.0f,%3.0f"
        return anchors.map { String(format: format, $0.width, $0.height) }.joined(separator: ", ")
    }
}
