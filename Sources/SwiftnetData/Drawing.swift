/// An 8-bit RGB colour.
public struct Color: Equatable, Sendable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    public static let white = Color(255, 255, 255)
    public static let black = Color(0, 0, 0)

    /// A distinct, saturated colour for class `k` (hues spaced by the golden angle).
    public static func forClass(_ k: Int) -> Color {
        let hue = (Double(k) * 0.618033988749895).truncatingRemainder(dividingBy: 1)
        let h6 = hue * 6, i = Int(h6), f = h6 - Double(i)
        let v = 0.95, s = 0.85
        let p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f))
        let (r, g, b): (Double, Double, Double)
        switch i % 6 {
        case 0: (r, g, b) = (v, t, p)
        case 1: (r, g, b) = (q, v, p)
        case 2: (r, g, b) = (p, v, t)
        case 3: (r, g, b) = (p, q, v)
        case 4: (r, g, b) = (t, p, v)
        default: (r, g, b) = (v, p, q)
        }
        return Color(UInt8(r * 255), UInt8(g * 255), UInt8(b * 255))
    }

    /// Black or white, whichever reads better on this colour.
    public var contrasting: Color {
        (299 * Int(r) + 587 * Int(g) + 114 * Int(b)) / 1000 > 140 ? .black : .white
    }
}

extension RGBImage {
    @inline(__always) mutating func set(_ x: Int, _ y: Int, _ color: Color) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = 3 * (y * width + x)
        pixels[i] = color.r
        pixels[i + 1] = color.g
        pixels[i + 2] = color.b
    }

    /// Fills the rectangle `[x0, x1] × [y0, y1]` (clipped to the image).
    public mutating func fill(x0: Int, y0: Int, x1: Int, y1: Int, color: Color) {
        let lx = max(0, min(x0, x1)), hx = min(width - 1, max(x0, x1))
        let ly = max(0, min(y0, y1)), hy = min(height - 1, max(y0, y1))
        guard lx <= hx, ly <= hy else { return }
        for y in ly...hy { for x in lx...hx { set(x, y, color) } }
    }

    /// Draws a rectangle outline `thickness` pixels wide, growing inwards.
    public mutating func strokeRect(x0: Int, y0: Int, x1: Int, y1: Int, thickness: Int, color: Color) {
        for t in 0..<max(1, thickness) {
            fill(x0: x0 + t, y0: y0 + t, x1: x1 - t, y1: y0 + t, color: color)
            fill(x0: x0 + t, y0: y1 - t, x1: x1 - t, y1: y1 - t, color: color)
            fill(x0: x0 + t, y0: y0 + t, x1: x0 + t, y1: y1 - t, color: color)
            fill(x0: x1 - t, y0: y0 + t, x1: x1 - t, y1: y1 - t, color: color)
        }
    }

    /// Draws `text` with the built-in 5×7 font, each font pixel a `scale × scale` block, top-left at (x, y).
    public mutating func drawText(_ text: String, x: Int, y: Int, scale: Int, color: Color) {
        var cx = x
        for ch in text {
            for gy in 0..<BitmapFont.glyphHeight {
                for gx in 0..<BitmapFont.glyphWidth where BitmapFont.isSet(ch, x: gx, y: gy) {
                    fill(x0: cx + gx * scale, y0: y + gy * scale, x1: cx + (gx + 1) * scale - 1, y1: y + (gy + 1) * scale - 1, color: color)
                }
            }
            cx += (BitmapFont.glyphWidth + 1) * scale
        }
    }

    /// A labelled box: outline in `color`, and above it (inside when there is no room) the text on a filled tag.
    public mutating func drawLabeledBox(x0: Int, y0: Int, x1: Int, y1: Int, label: String, color: Color) {
        let thickness = max(1, min(width, height) / 250)
        strokeRect(x0: x0, y0: y0, x1: x1, y1: y1, thickness: thickness, color: color)
        let scale = max(1, min(width, height) / 300)
        let pad = scale
        let textWidth = label.count * (BitmapFont.glyphWidth + 1) * scale - scale
        let tagHeight = BitmapFont.glyphHeight * scale + 2 * pad
        var tagTop = y0 - tagHeight
        if tagTop < 0 { tagTop = y0 }
        let tagLeft = max(0, min(x0, width - textWidth - 2 * pad))
        fill(x0: tagLeft, y0: tagTop, x1: tagLeft + textWidth + 2 * pad - 1, y1: tagTop + tagHeight - 1, color: color)
        drawText(label, x: tagLeft + pad, y: tagTop + pad, scale: scale, color: color.contrasting)
    }
}
