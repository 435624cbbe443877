import Foundation
import SwiftnetData

/// The training chart (darknet's chart.png): average loss per iteration as dots, mAP@0.5 as a red polyline with its
/// values, axes with iteration and loss labels, and a footer line.
public struct TrainingChart {
    public var maxIterations: Int
    /// The loss axis's top: the cfg's `max_chart_loss`, or nil to fit the losses (a round number above the largest).
    public var fixedMaxLoss: Float?
    public private(set) var losses: [(iteration: Int, loss: Float)] = []
    public private(set) var maps: [(iteration: Int, map: Float)] = []

    public init(maxIterations: Int, maxLoss: Float?) {
        self.maxIterations = max(1, maxIterations)
        fixedMaxLoss = maxLoss.flatMap { $0 > 0 ? $0 : nil }
    }

    /// The loss axis's top: fixed, or 1, 2 or 5 × 10ⁿ just above the largest average loss (20 before any).
    public var maxLoss: Float {
        if let fixedMaxLoss { return fixedMaxLoss }
        guard let largest = losses.map(\.loss).filter({ $0.isFinite }).max(), largest > 0 else { return 20 }
        var decade = Float(pow(10, floor(log10(Double(largest)))))
        while true {
            for step: Float in [1, 2, 5] where step * decade >= largest { return step * decade }
            decade *= 10
        }
    }

    public mutating func add(iteration: Int, averageLoss: Float) { losses.append((iteration, averageLoss)) }
    public mutating func add(iteration: Int, map: Float) { maps.append((iteration, map)) }

    /// Renders the chart (1000×1000 with a 60-pixel margin).
    public func render(footer: String) -> RGBImage {
        let size = 1000, margin = 60
        let maxLoss = self.maxLoss
        var image = RGBImage(width: size, height: size, pixels: [UInt8](repeating: 255, count: size * size * 3))
        let plot = size - 2 * margin
        func px(_ iteration: Int) -> Int { margin + Int(Double(iteration) / Double(maxIterations) * Double(plot)) }
        func py(_ fraction: Float) -> Int { size - margin - Int(Double(min(1, max(0, fraction))) * Double(plot)) }
        let grey = Color(200, 200, 200), black = Color.black
        for k in 0...10 {
            let y = size - margin - k * plot / 10
            image.fill(x0: margin, y0: y, x1: size - margin, y1: y, color: grey)
            image.drawText(String(format: "%.1f", Double(maxLoss) * Double(k) / 10), x: 4, y: y - 3, scale: 1, color: black)
            let x = margin + k * plot / 10
            image.fill(x0: x, y0: margin, x1: x, y1: size - margin, color: grey)
            image.drawText("\(maxIterations * k / 10)", x: x - 10, y: size - margin + 8, scale: 1, color: black)
        }
        image.strokeRect(x0: margin, y0: margin, x1: size - margin, y1: size - margin, thickness: 1, color: black)
        image.drawText("Loss", x: 4, y: margin - 20, scale: 2, color: Color(0, 0, 200))
        image.drawText("Iteration number", x: size / 2 - 100, y: size - margin + 26, scale: 2, color: black)
        for (iteration, loss) in losses {
            let x = px(iteration), y = py(loss / maxLoss)
            image.fill(x0: x - 1, y0: y - 1, x1: x + 1, y1: y + 1, color: Color(0, 0, 255))
        }
        if !maps.isEmpty {
            image.drawText("mAP%", x: size - margin + 4, y: margin - 20, scale: 2, color: Color(200, 0, 0))
            var previous: (Int, Int)?
            for (iteration, map) in maps {
                let point = (px(iteration), py(map))
                if let previous { line(&image, previous, point, Color(255, 0, 0)) }
                image.fill(x0: point.0 - 2, y0: point.1 - 2, x1: point.0 + 2, y1: point.1 + 2, color: Color(255, 0, 0))
                image.drawText(String(format: "%.0f%%", Double(map) * 100), x: point.0 + 4, y: point.1 - 12, scale: 1, color: Color(200, 0, 0))
                previous = point
            }
        }
        image.drawText(footer, x: margin, y: 20, scale: 2, color: black)
        return image
    }

    private func line(_ image: inout RGBImage, _ a: (Int, Int), _ b: (Int, Int), _ color: Color) {
        let steps = max(abs(b.0 - a.0), abs(b.1 - a.1), 1)
        for s in 0...steps {
            let x = a.0 + (b.0 - a.0) * s / steps, y = a.1 + (b.1 - a.1) * s / steps
            image.fill(x0: x, y0: y, x1: x + 1, y1: y + 1, color: color)
        }
    }
}
