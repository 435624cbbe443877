import Foundation
import SwiftnetCore

/// A float image in darknet's layout: planar CHW, channel 0 = R, values in [0, 1].
public struct Image: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var data: [Float]

    public init(width: Int, height: Int, channels: Int, data: [Float]) {
        precondition(data.count == width * height * channels)
        self.width = width
        self.height = height
        self.channels = channels
        self.data = data
    }

    /// A constant image.
    public init(width: Int, height: Int, channels: Int, fill: Float = 0) {
        self.init(width: width, height: height, channels: channels, data: [Float](repeating: fill, count: width * height * channels))
    }

    @inline(__always) public subscript(x: Int, y: Int, c: Int) -> Float {
        get { data[(c * height + y) * width + x] }
        set { data[(c * height + y) * width + x] = newValue }
    }

    /// Converts interleaved 8-bit RGB to a float image (`byte/255`), keeping `channels` (1 = luminance as stb_image
    /// computes it, 3 = RGB).
    public init(rgb8 pixels: UnsafePointer<UInt8>, width: Int, height: Int, channels: Int = 3) {
        var data = [Float](repeating: 0, count: width * height * channels)
        let plane = width * height
        data.withUnsafeMutableBufferPointer { out in
            if channels == 1 {
                for i in 0..<plane {
                    let r = Int(pixels[3 * i]), g = Int(pixels[3 * i + 1]), b = Int(pixels[3 * i + 2])
                    out[i] = Float(UInt8((r * 77 + g * 150 + b * 29) >> 8)) / 255
                }
            } else {
                for i in 0..<plane {
                    for c in 0..<min(3, channels) { out[c * plane + i] = Float(pixels[3 * i + c]) / 255 }
                }
            }
        }
        self.init(width: width, height: height, channels: channels, data: data)
    }

    /// darknet's resize (`image.c:resize_image`): separable bilinear with corner-aligned sampling, the last column
    /// copied and the last row taking only its `(1−dy)` term, in float32 as darknet computes it (spec §4.2).
    public func resized(width w: Int, height h: Int) -> Image {
        if w == width && h == height { return self }
        return resizedWindow(width: w, height: h, x: 0, y: 0, cropWidth: w, cropHeight: h)
    }

    /// The `cropWidth × cropHeight` window at `(x, y)` of `resized(width: w, height: h)`, positions clamped into the
    /// resized image as darknet's `crop_image` does, with the same float32 arithmetic — computed row by row from
    /// the source rows it needs, so a tall or wide image never needs its whole resized copy in memory.
    public func resizedWindow(width w: Int, height h: Int, x x0: Int, y y0: Int, cropWidth cw: Int, cropHeight ch: Int) -> Image {
        // A one-pixel target takes the first row/column (darknet divides by zero there).
        let wScale = w > 1 ? Float(width - 1) / Float(w - 1) : 0
        let hScale = h > 1 ? Float(height - 1) / Float(h - 1) : 0
        // Per output column: source index and weight (`copy` = darknet's last-column copy).
        var columnIndex = [Int](repeating: 0, count: cw), columnWeight = [Float](repeating: 0, count: cw)
        var copy = [Bool](repeating: false, count: cw)
        for x in 0..<cw {
            let c = min(max(x + x0, 0), w - 1)
            if c == w - 1 || width == 1 {
                copy[x] = true
            } else {
                let sx = Float(c) * wScale
                columnIndex[x] = Int(sx)
                columnWeight[x] = sx - Float(columnIndex[x])
            }
        }
        var out = [Float](repeating: 0, count: cw * ch * channels)
        var rows = [[Float]](repeating: [Float](repeating: 0, count: cw), count: 2)
        var rowSource = [-1, -1]
        data.withUnsafeBufferPointer { src in
            // The horizontally interpolated source row `r` of channel `k`, kept in one of two slots.
            func horizontal(_ k: Int, _ r: Int, avoid: Int) -> Int {
                if rowSource[0] == r { return 0 }
                if rowSource[1] == r { return 1 }
                let slot = avoid == 0 ? 1 : 0
                let srow = src.baseAddress! + (k * height + r) * width
                rows[slot].withUnsafeMutableBufferPointer { prow in
                    for x in 0..<cw {
                        if copy[x] {
                            prow[x] = srow[width - 1]
                        } else {
                            let ix = columnIndex[x], dx = columnWeight[x]
                            prow[x] = (1 - dx) * srow[ix] + dx * srow[ix + 1]
                        }
                    }
                }
                rowSource[slot] = r
                return slot
            }
            out.withUnsafeMutableBufferPointer { out in
                for k in 0..<channels {
                    rowSource = [-1, -1]
                    for y in 0..<ch {
                        let r = min(max(y + y0, 0), h - 1)
                        let sy = height == 1 ? 0 : Float(r) * hScale
                        let iy = Int(sy)
                        let dy = sy - Float(iy)
                        let orow = out.baseAddress! + (k * ch + y) * cw
                        let a = horizontal(k, iy, avoid: -1)
                        rows[a].withUnsafeBufferPointer { p0 in for x in 0..<cw { orow[x] = (1 - dy) * p0[x] } }
                        if r == h - 1 || height == 1 { continue }
                        let b = horizontal(k, iy + 1, avoid: a)
                        rows[b].withUnsafeBufferPointer { p1 in for x in 0..<cw { orow[x] += dy * p1[x] } }
                    }
                }
            }
        }
        return Image(width: cw, height: ch, channels: channels, data: out)
    }

    /// The size darknet's letterbox resizes to before padding (int division, float comparison).
    public static func letterboxSize(imageWidth: Int, imageHeight: Int, netWidth: Int, netHeight: Int) -> (width: Int, height: Int) {
        if Float(netWidth) / Float(imageWidth) < Float(netHeight) / Float(imageHeight) {
            return (netWidth, (imageHeight * netWidth) / imageWidth)
        }
        return ((imageWidth * netHeight) / imageHeight, netHeight)
    }

    /// darknet's letterbox: aspect-preserving resize, pasted centred (offsets floored) on a 0.5-grey canvas.
    public func letterboxed(width w: Int, height h: Int) -> Image {
        let size = Image.letterboxSize(imageWidth: width, imageHeight: height, netWidth: w, netHeight: h)
        let inner = resized(width: size.width, height: size.height)
        var canvas = Image(width: w, height: h, channels: channels, fill: 0.5)
        let dx = (w - size.width) / 2, dy = (h - size.height) / 2
        for k in 0..<channels {
            for y in 0..<size.height {
                let ty = y + dy
                guard ty >= 0, ty < h else { continue }
                for x in 0..<size.width {
                    let tx = x + dx
                    guard tx >= 0, tx < w else { continue }
                    canvas[tx, ty, k] = inner[x, y, k]
                }
            }
        }
        return canvas
    }

    /// Interleaved 8-bit RGB (`uint8(255·v)`, truncating, clamped), for drawing and encoding.
    public func toRGB8() -> RGBImage {
        var out = RGBImage(width: width, height: height)
        let plane = width * height
        for i in 0..<plane {
            for c in 0..<3 {
                let v = data[(channels == 1 ? 0 : c) * plane + i]
                out.pixels[3 * i + c] = UInt8(max(0, min(255, 255 * v)))
            }
        }
        return out
    }
}
