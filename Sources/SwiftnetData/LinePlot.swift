import Foundation

/// A line chart drawn into an `RGBImage` with the bundled bitmap font: frame, grid at round tick values, tick labels,
/// the x = 0 and y = 0 axes, one polyline per series (later series on top) and a legend.
public struct LinePlot: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var color: Color
        public var points: [(x: Double, y: Double)]
        /// Whether the points are joined by a line (else each is drawn as a square marker).
        public var joined = true
        /// Side of the square drawn at each point (0: none).
        public var markerSize = 0
        /// A shaded band (e.g. mean ± std), drawn in a light tint of the series' colour under every line.
        public var band: [(x: Double, low: Double, high: Double)] = []
        /// Vertical error bars with caps.
        public var errorBars: [(x: Double, low: Double, high: Double)] = []

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
    /// Labels at chosen x positions instead of numeric x ticks (categories).
    public var xTickLabels: [(x: Double, label: String)]?
    /// The legend goes to the bottom-left corner of the plot area instead of the top-left.
    public var legendAtBottom = false
    /// Axis titles, drawn under the x axis and at the top-left above the y axis.
    public var xTitle = "", yTitle = ""
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
    public func draw(into image: inout RGBImage, left: Int = 0, top: Int = 0, legend: Bool = true) {
        let x0 = left + marginLeft, x1 = left + width - marginRight, y0 = top + marginTop, y1 = top + height - marginBottom
        image.fill(x0: left, y0: top, x1: left + width - 1, y1: top + height - 1, color: .white)
        for (t, label) in xTickLabels ?? Self.ticks(xRange).map({ ($0, Self.label($0)) }) {
            let p = pixel(x: t, y: yRange.lowerBound).x + left
            image.fill(x0: p, y0: y0, x1: p, y1: y1, color: Self.gridColor)
            image.drawText(label, x: p - BitmapFont.textWidth(label) / 2, y: y1 + 6, scale: 1, color: .black)
        }
        if !xTitle.isEmpty { image.drawText(xTitle, x: (x0 + x1 - BitmapFont.textWidth(xTitle)) / 2, y: y1 + 22, scale: 1, color: .black) }
        if !yTitle.isEmpty { image.drawText(yTitle, x: left + 4, y: y0 - 12, scale: 1, color: .black) }
        for t in Self.ticks(yRange) {
            let p = pixel(x: xRange.lowerBound, y: t).y + top
            image.fill(x0: x0, y0: p, x1: x1, y1: p, color: Self.gridColor)
            let label = Self.label(t)
            image.drawText(label, x: x0 - 6 - BitmapFont.textWidth(label), y: p - 3, scale: 1, color: .black)
        }
        if xRange.contains(0) && xTickLabels == nil {
            let p = pixel(x: 0, y: 0).x + left
            image.fill(x0: p, y0: y0, x1: p, y1: y1, color: Self.axisColor)
        }
        if yRange.contains(0) {
            let p = pixel(x: 0, y: 0).y + top
            image.fill(x0: x0, y0: p, x1: x1, y1: p, color: Self.axisColor)
        }
        image.drawText(title, x: left + (width - BitmapFont.textWidth(title, scale: 2)) / 2, y: top + 10, scale: 2, color: .black)
        let clip = (x0, y0, x1, y1)
        for s in series {
            let tint = Color(UInt8((Int(s.color.r) + 3 * 255) / 4), UInt8((Int(s.color.g) + 3 * 255) / 4), UInt8((Int(s.color.b) + 3 * 255) / 4))
            for (a, b) in zip(s.band, s.band.dropFirst()) where [a.x, a.low, a.high, b.x, b.low, b.high].allSatisfy(\.isFinite) {
                let pa = pixel(x: a.x, y: 0).x + left, pb = pixel(x: b.x, y: 0).x + left
                for x in min(pa, pb)...max(pa, pb) {
                    let f = pa == pb ? 0 : Double(x - pa) / Double(pb - pa)
                    let low = a.low + (b.low - a.low) * f, high = a.high + (b.high - a.high) * f
                    let ya = pixel(x: 0, y: high).y + top, yb = pixel(x: 0, y: low).y + top
                    let lo = max(ya, y0), hi = min(yb, y1)
                    if x >= x0, x <= x1, lo <= hi { image.fill(x0: x, y0: lo, x1: x, y1: hi, color: tint) }
                }
            }
        }
        for s in series {
            for bar in s.errorBars where bar.x.isFinite && bar.low.isFinite && bar.high.isFinite {
                let top1 = pixel(x: bar.x, y: bar.high), bottom = pixel(x: bar.x, y: bar.low)
                let a = (top1.x + left, top1.y + top), b = (bottom.x + left, bottom.y + top)
                segment(&image, a, b, s.color, clip: clip)
                segment(&image, (a.0 - 5, a.1), (a.0 + 5, a.1), s.color, clip: clip)
                segment(&image, (b.0 - 5, b.1), (b.0 + 5, b.1), s.color, clip: clip)
            }
            var previous: (x: Int, y: Int)?
            for point in s.points where point.x.isFinite && point.y.isFinite {
                var p = pixel(x: point.x, y: point.y)
                p = (p.x + left, p.y + top)
                if s.joined, let previous { segment(&image, previous, p, s.color, clip: clip) }
                if s.markerSize > 0 {
                    let r = s.markerSize / 2
                    let mx0 = max(p.x - r, x0), my0 = max(p.y - r, y0), mx1 = min(p.x - r + s.markerSize - 1, x1), my1 = min(p.y - r + s.markerSize - 1, y1)
                    if mx0 <= mx1, my0 <= my1 { image.fill(x0: mx0, y0: my0, x1: mx1, y1: my1, color: s.color) }
                }
                previous = p
            }
        }
        image.strokeRect(x0: x0, y0: y0, x1: x1, y1: y1, thickness: 1, color: .black)
        // Legend, top-left inside the plot area (series without a name are left out).
        guard legend else { return }
        let series = self.series.filter { !$0.name.isEmpty }
        guard !series.isEmpty else { return }
        let rowHeight = 14
        let ly = legendAtBottom ? y1 - 16 - rowHeight * series.count : y0
        let legendWidth = 34 + (series.map { BitmapFont.textWidth($0.name) }.max() ?? 0)
        image.fill(x0: x0 + 6, y0: ly + 6, x1: x0 + 6 + legendWidth, y1: ly + 10 + rowHeight * series.count, color: .white)
        image.strokeRect(x0: x0 + 6, y0: ly + 6, x1: x0 + 6 + legendWidth, y1: ly + 10 + rowHeight * series.count, thickness: 1, color: Self.axisColor)
        for (k, s) in series.enumerated() {
            let y = ly + 12 + k * rowHeight
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
