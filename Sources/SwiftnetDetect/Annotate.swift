import Foundation
import SwiftnetData
import SwiftnetLayers

/// Draws detections onto an image: one box per detection whose best class passes the threshold, labelled with every
/// class above it (`dog 98%`).
public enum Annotate {
    public static func draw(_ detections: [Detection], names: [String], threshold: Float, on image: inout RGBImage) {
        for d in detections {
            guard let best = d.bestClass(above: threshold) else { continue }
            let labels = d.probabilities.indices.filter { d.probabilities[$0] > threshold }
                .map { String(format: "%@ %.0f%%", names[$0], Double(d.probabilities[$0] * 100)) }
            let b = d.box
            let w = Float(image.width), h = Float(image.height)
            let x0 = Int(((b.x - b.w / 2) * w).rounded()), x1 = Int(((b.x + b.w / 2) * w).rounded())
            let y0 = Int(((b.y - b.h / 2) * h).rounded()), y1 = Int(((b.y + b.h / 2) * h).rounded())
            image.drawLabeledBox(x0: max(0, x0), y0: max(0, y0), x1: min(image.width - 1, x1), y1: min(image.height - 1, y1),
                                 label: labels.joined(separator: ", "), color: .forClass(best))
        }
    }
}
