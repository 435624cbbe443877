import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetEval

/// The Mish paper's figures, drawn with `LinePlot` and the activation kernels training uses.
public enum Figures {
    /// Fig. 1's functions and their colours (mish last, drawn on top).
    public static let activationSeries: [(function: ActivationFunction, color: Color)] = [
        (.activation(.relu), Color(110, 40, 170)), (.activation(.leaky), Color(0, 150, 0)), (.softplus, Color(230, 140, 0)),
        (.activation(.swish), Color(30, 90, 220)), (.activation(.mish), Color(220, 20, 20)),
    ]

    /// Fig. 1 as two panels: f on [from, to] (left) and f′ (right), 1281 samples each.
    public static func activationPlots(from: Double = -5, to: Double = 5) -> (f: LinePlot, df: LinePlot) {
        let x = (0...1280).map { Float(from + (to - from) * Double($0) / 1280) }
        var f = LinePlot(title: "activation f(x)", xRange: from...to, yRange: -1.5...5)
        var df = LinePlot(title: "derivative f'(x)", xRange: from...to, yRange: -0.3...1.3)
        for (function, color) in activationSeries {
            let (values, derivatives) = function.values(x)
            f.series.append(.init(name: function.description, color: color, points: x.indices.map { (Double(x[$0]), Double(values[$0])) }))
            df.series.append(.init(name: function.description, color: color, points: x.indices.map { (Double(x[$0]), Double(derivatives[$0])) }))
        }
        return (f, df)
    }

    /// Fig. 1 rendered: the two panels side by side (1280 × 480).
    public static func activations() -> RGBImage {
        let (f, df) = activationPlots()
        var image = RGBImage(width: f.width + df.width, height: max(f.height, df.height))
        f.draw(into: &image, left: 0, top: 0)
        df.draw(into: &image, left: f.width, top: 0)
        return image
    }

    /// A randomly initialised fully connected network 2 → width → … → 1 (`depth` weight layers, He-normal weights,
    /// zero biases, the activation after every layer but the last), as Fig. 3 of the paper uses.
    public struct Landscape: Sendable {
        public let activation: ActivationFunction
        /// Row-major weights per layer: `outputs × inputs`.
        public let weights: [[Float]]
        public let sizes: [Int]

        public init(activation: ActivationFunction, seed: UInt64, width: Int = 64, depth: Int = 6) {
            self.activation = activation
            let sizes = [2] + Array(repeating: width, count: depth - 1) + [1]
            self.sizes = sizes
            var rng = SeededRandom(seed: seed)
            weights = (0..<depth).map { l in
                let fanIn = sizes[l], scale = (2 / Float(fanIn)).squareRoot()
                return (0..<(sizes[l] * sizes[l + 1])).map { _ in
                    // Box–Muller
                    let u = max(rng.nextFloat(), 1e-7), v = rng.nextFloat()
                    return scale * (-2 * logf(u)).squareRoot() * cosf(2 * .pi * v)
                }
            }
        }

        /// The network's output for every input point (x, y) of `points`.
        public func evaluate(_ points: [(Float, Float)]) -> [Float] {
            var current = points.flatMap { [$0.0, $0.1] }
            for l in 0..<weights.count {
                let inputs = sizes[l], outputs = sizes[l + 1], w = weights[l]
                var next = [Float](repeating: 0, count: points.count * outputs)
                current.withUnsafeBufferPointer { a in
                    w.withUnsafeBufferPointer { wp in
                        next.withUnsafeMutableBufferPointer { out in
                            for p in 0..<points.count {
                                let row = a.baseAddress! + p * inputs
                                for o in 0..<outputs {
                                    let wr = wp.baseAddress! + o * inputs
                                    var sum: Float = 0
                                    for i in 0..<inputs { sum += wr[i] * row[i] }
                                    out[p * outputs + o] = sum
                                }
                            }
                            if l < weights.count - 1 {
                                activation.forward(out.baseAddress!, into: out.baseAddress!, count: out.count, threads: Parallel.threads)
                            }
                        }
                    }
                }
                current = next
            }
            return current
        }
    }

    /// Fig. 3: the landscape network's output over [−range, range]² on a `size × size` grid (row 0 at the top, y up),
    /// min to max mapped through `colormap`. Returns the image and the values, row-major.
    public static func landscape(activation: ActivationFunction, seed: UInt64, size: Int = 400, range: Float = 3) -> (image: RGBImage, values: [Float]) {
        let network = Landscape(activation: activation, seed: seed)
        let points = (0..<(size * size)).map { k in gridPoint(row: k / size, column: k % size, size: size, range: range) }
        let values = network.evaluate(points)
        let lo = values.min() ?? 0, hi = values.max() ?? 1
        var image = RGBImage(width: size, height: size)
        for k in values.indices {
            let c = colormap(hi > lo ? Double((values[k] - lo) / (hi - lo)) : 0.5)
            image.pixels[3 * k] = c.r
            image.pixels[3 * k + 1] = c.g
            image.pixels[3 * k + 2] = c.b
        }
        return (image, values)
    }

    /// The input (x, y) at a pixel of the landscape grid: pixel centres, x to the right, y up.
    public static func gridPoint(row: Int, column: Int, size: Int, range: Float) -> (Float, Float) {
        let step = 2 * range / Float(size)
        return (-range + (Float(column) + 0.5) * step, range - (Float(row) + 0.5) * step)
    }

    /// A viridis-like colour map: dark purple at 0 through blue and green to yellow at 1 (piecewise linear).
    public static func colormap(_ t: Double) -> Color {
        let anchors: [(Double, Double, Double)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
        let v = min(1, max(0, t.isFinite ? t : 0)) * Double(anchors.count - 1)
        let i = min(Int(v), anchors.count - 2), f = v - Double(i)
        let a = anchors[i], b = anchors[i + 1]
        return Color(UInt8((a.0 + (b.0 - a.0) * f).rounded()), UInt8((a.1 + (b.1 - a.1) * f).rounded()), UInt8((a.2 + (b.2 - a.2) * f).rounded()))
    }
}

extension Figures {
    /// One class's precision–recall curve (after each rank) with the points darknet's AP sums marked.
    public static func precisionRecall(_ result: DarknetClassResult, points: Int) -> (plot: LinePlot, image: RGBImage) {
        var plot = LinePlot(title: String(format: "%@: AP = %.2f %%", result.name, result.averagePrecision * 100), xRange: 0...1, yRange: 0...1.02)
        plot.xTitle = "recall"
        plot.yTitle = "precision"
        plot.series.append(LinePlot.Series(name: "precision after each rank", color: curveColor,
                                           points: result.precisionRecallCurve.map { ($0.recall, $0.precision) }))
        var marked = LinePlot.Series(name: points == 0 ? "integrated (area under the envelope)" : "\(points) recall levels (mean)",
                                     color: markColor, points: result.integratedPoints(points: points).map { ($0.recall, $0.precision) })
        marked.joined = false
        marked.markerSize = 5
        plot.series.append(marked)
        return (plot, render(plot))
    }

    /// The mean over classes (with ground truth) of the interpolated precision at 101 recall levels.
    public static func meanPrecisionRecall(_ classes: [DarknetClassResult], mAP: Double) -> (plot: LinePlot, image: RGBImage, points: [(x: Double, y: Double)]) {
        let counted = classes.filter { $0.truthCount > 0 }
        let curves: [[(recall: Double, precision: Double)]] = counted.map { $0.integratedPoints(points: 101) }
        var points: [(x: Double, y: Double)] = []
        for level in 0...100 {
            var sum = 0.0
            for curve in curves where level < curve.count { sum += curve[level].precision }
            points.append((Double(level) / 100, curves.isEmpty ? 0 : sum / Double(curves.count)))
        }
        var plot = LinePlot(title: String(format: "mean of %d classes: mAP = %.2f %%", counted.count, mAP * 100), xRange: 0...1, yRange: 0...1.02)
        plot.xTitle = "recall"
        plot.yTitle = "interpolated precision"
        var series = LinePlot.Series(name: "mean interpolated precision", color: curveColor, points: points)
        series.markerSize = 3
        plot.series.append(series)
        return (plot, render(plot), points)
    }

    public static let curveColor = Color(38, 139, 210), markColor = Color(220, 50, 47)

    private static func render(_ plot: LinePlot) -> RGBImage {
        var plot = plot
        plot.legendAtBottom = true
        var image = RGBImage(width: plot.width, height: plot.height)
        plot.draw(into: &image)
        return image
    }
}
