import SwiftnetCore
import SwiftnetFormat
import SwiftnetLayers

/// darknet's per-class non-maximum suppression (`do_nms_sort`, `diounms_sort`; spec §4.5).
///
/// Detections with objectness 0 move to the end and are excluded. For each class the array is sorted by that class's
/// probability (descending, stable — glibc's `qsort` is a merge sort, so darknet's order is stable too) and every
/// later box whose overlap with an earlier non-zero one exceeds `threshold` gets that class's probability zeroed.
/// Classes where no box has a non-zero probability are skipped: a stable sort by all-zero keys changes nothing.
public enum NMS {
    public static func apply(_ detections: inout [Detection], classes: Int, threshold: Float, kind: NMSKind = .default, beta: Float = 0.6) {
        var last = detections.count - 1
        var i = 0
        while i <= last {
            if detections[i].objectness == 0 {
                detections.swapAt(i, last)
                last -= 1
            } else {
                i += 1
            }
        }
        let total = last + 1
        guard total > 0 else { return }
        var active = Array(detections[0..<total])
        for k in 0..<classes {
            guard active.contains(where: { $0.probabilities[k] != 0 }) else { continue }
            let order = active.indices.sorted { a, b in
                let pa = active[a].probabilities[k], pb = active[b].probabilities[k]
                return pa != pb ? pa > pb : a < b
            }
            active = order.map { active[$0] }
            // Boxes with a zero probability for k are sorted last and can neither suppress nor be suppressed.
            let nonzero = active.prefix { $0.probabilities[k] != 0 }.count
            for i in 0..<nonzero {
                if active[i].probabilities[k] == 0 { continue }
                let a = active[i].box
                for j in (i + 1)..<max(i + 1, nonzero) {
                    if active[j].probabilities[k] == 0 { continue }
                    if overlaps(a, active[j].box, threshold: threshold, kind: kind, beta: beta) {
                        active[j].probabilities[k] = 0
                    }
                }
            }
        }
        detections.replaceSubrange(0..<total, with: active)
    }

    @inline(__always)
    static func overlaps(_ a: Box, _ b: Box, threshold: Float, kind: NMSKind, beta: Float) -> Bool {
        switch kind {
        case .default: return a.iou(b) > threshold
        case .greedynms: return a.diou(b, beta: 0.6) > threshold
        case .diounms: return a.diou(b, beta: beta) > threshold
        }
    }
}
