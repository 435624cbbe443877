import Foundation

/// A line chart drawn into an `RGBImage` with the bundled bitmap font: frame, grid at round tick values, tick labels,
/// the x = 0 and y = 0 axes, one polyline per series (later series on top) and a legend.
public struct LinePlot: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var color: Color
        public var points: [(x: Double, y: Double)]
        public init(name: String, color: Color, points: [(x: Double, y: Double)]) {
            self.name = name
            self.color = color
            self.points = points
        }
    }

    public var title: String
    public var xRange: ClosedRange<Double>
    public var yRange: ClosedRange<Double>
    public var series: [Series] = []
    /// The panel's size in pixels; the plot area leaves `margin` on each side (more below and left for labels).
    public var width = 640, height = 480
    public let marginLeft = 60, marginRight = 16, marginTop = 36, marginBottom = 40

    public init(title: String, xRange: ClosedRange<Double>, yRange: ClosedRange<Double>) {
        self.title = title
        self.xRange = xRange
        self.yRange = yRange
    }

    /// The pixel (relative to the panel's top-left) of a data point.
    public func pixel(x: Double, y: Double) -> (x: Int, y: Int) {
        let w = Double(width - marginLeft - marginRight), h = Double(height - marginTop - marginBottom)
        let px = Double(marginLeft) + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * w
        let py = Double(height - marginBottom) - (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * h
        return (Int(px.rounded()), Int(py.rounded()))
    }

    /// Round tick values (1, 2 or 5 × 10ⁿ apart) covering `range` with about `count` intervals.
    public static func ticks(_ range: ClosedRange<Double>, count: Int = 8) -> [Double] {
        let raw = (range.upperBound - range.lowerBound) / Double(max(1, count))
        let exponent = floor(log10(raw)), decade = pow(10, exponent)
        let multiple = [1.0, 2, 5, 10].first { $0 * decade >= raw } ?? 10
        let step = multiple * decade
        // k·multiple / 10^(−exponent) keeps decimal ticks exact (0.6, not 0.6000000000000001).
        func value(_ k: Double) -> Double { exponent < 0 ? k * multiple / pow(10, -exponent) : k * step }
        var values: [Double] = []
        var k = ceil(range.lowerBound / step)
        while value(k) <= range.upperBound + step * 1e-9 {
            values.append(value(k) == 0 ? 0 : value(k))
            k += 1
        }
        return values
    }

    public static let gridColor = Color(225, 225, 225), axisColor = Color(120, 120, 120)

    /// Draws the panel with its top-left corner at (left, top) of `image`.
    public func draw(into image: inout RGBImage, left: Int = 0, top: Int = 0) {
        let x0 = left + marginLeft, x1 = left + width - marginRight, y0 = top + marginTop, y1 = top + height - marginBottom
        image.fill(x0: left, y0: top, x1: left + width - 1, y1: top + height - 1, color: .white)
        for t in Self.ticks(xRange) {
            let p = pixel(x: t, y: yRange.lowerBound).x + left
            image.fill(x0: p, y0: y0, x1: p, y1: y1, color: Self.gridColor)
            let label = Self.label(t)
            image.drawText(label, x: p - BitmapFont.textWidth(label) / 2, y: y1 + 6, scale: 1, color: .black)
        }
        for t in Self.ticks(yRange) {
            let p = pixel(x: xRange.lowerBound, y: t).y + top
            image.fill(x0: x0, y0: p, x1: x1, y1: p, color: Self.gridColor)
            let label = Self.label(t)
            image.drawText(label, x: x0 - 6 - BitmapFont.textWidth(label), y: p - 3, scale: 1, color: .black)
        }
        if xRange.contains(0) {
            let p = pixel(x: 0, y: 0).x + left
            image.fill(x0: p, y0: y0, x1: p, y1: y1, color: Self.axisColor)
        }
        if yRange.contains(0) {
            let p = pixel(x: 0, y: 0).y + top
            image.fill(x0: x0, y0: p, x1: x1, y1: p, color: Self.axisColor)
        }
        image.drawText(title, x: left + (width - BitmapFont.textWidth(title, scale: 2)) / 2, y: top + 10, scale: 2, color: .black)
        for s in series {
            var previous: (x: Int, y: Int)?
            for point in s.points where point.x.isFinite && point.y.isFinite {
                var p = pixel(x: point.x, y: point.y)
                p = (p.x + left, p.y + top)
                if let previous { segment(&image, previous, p, s.color, clip: (x0, y0, x1, y1)) }
                previous = p
            }
        }
        image.strokeRect(x0: x0, y0: y0, x1: x1, y1: y1, thickness: 1, color: .black)
        // Legend, top-left inside the plot area.
        let rowHeight = 14
        let legendWidth = 34 + (series.map { BitmapFont.textWidth($0.name) }.max() ?? 0)
        image.fill(x0: x0 + 6, y0: y0 + 6, x1: x0 + 6 + legendWidth, y1: y0 + 10 + rowHeight * series.count, color: .white)
        image.strokeRect(x0: x0 + 6, y0: y0 + 6, x1: x0 + 6 + legendWidth, y1: y0 + 10 + rowHeight * series.count, thickness: 1, color: Self.axisColor)
        for (k, s) in series.enumerated() {
            let y = y0 + 12 + k * rowHeight
            image.fill(x0: x0 + 12, y0: y + 2, x1: x0 + 30, y1: y + 4, color: s.color)
            image.drawText(s.name, x: x0 + 36, y: y, scale: 1, color: .black)
        }
    }

    /// A 1-2-5 tick label: integers without decimals, others with as few as they need.
    static func label(_ v: Double) -> String {
        if v == v.rounded() { return String(Int(v)) }
        var s = String(format: "%.3f", v)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }

    /// A 2-pixel line from a to b, clipped to the plot area.
    private func segment(_ image: inout RGBImage, _ a: (x: Int, y: Int), _ b: (x: Int, y: Int), _ color: Color, clip: (Int, Int, Int, Int)) {
        let steps = max(abs(b.x - a.x), abs(b.y - a.y), 1)
        for s in 0...steps {
            let x = a.x + (b.x - a.x) * s / steps, y = a.y + (b.y - a.y) * s / steps
            guard x >= clip.0, x <= clip.2, y >= clip.1, y <= clip.3 else { continue }
            image.fill(x0: x, y0: y, x1: min(x + 1, clip.2), y1: min(y + 1, clip.3), color: color)
        }
    }
}
