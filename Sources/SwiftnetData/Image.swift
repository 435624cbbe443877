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
        var part = [Float](repeating: 0, count: w * height * channels)
        var out = [Float](repeating: 0, count: w * h * channels)
        // A one-pixel target takes the first row/column (darknet divides by zero there).
        let wScale = w > 1 ? Float(width - 1) / Float(w - 1) : 0
        let hScale = h > 1 ? Float(height - 1) / Float(h - 1) : 0
        data.withUnsafeBufferPointer { src in
            part.withUnsafeMutableBufferPointer { part in
                for k in 0..<channels {
                    for r in 0..<height {
                        let srow = src.baseAddress! + (k * height + r) * width
                        let prow = part.baseAddress! + (k * height + r) * w
                        for c in 0..<w {
                            if c == w - 1 || width == 1 {
                                prow[c] = srow[width - 1]
                            } else {
                                let sx = Float(c) * wScale
                                let ix = Int(sx)
                                let dx = sx - Float(ix)
                                prow[c] = (1 - dx) * srow[ix] + dx * srow[ix + 1]
                            }
                        }
                    }
                }
                out.withUnsafeMutableBufferPointer { out in
                    for k in 0..<channels {
                        for r in 0..<h {
                            let sy = height == 1 ? 0 : Float(r) * hScale
                            let iy = Int(sy)
                            let dy = sy - Float(iy)
                            let orow = out.baseAddress! + (k * h + r) * w
                            let p0 = part.baseAddress! + (k * height + iy) * w
                            for c in 0..<w { orow[c] = (1 - dy) * p0[c] }
                            if r == h - 1 || height == 1 { continue }
                            let p1 = p0 + w
                            for c in 0..<w { orow[c] += dy * p1[c] }
                        }
                    }
                }
            }
        }
        return Image(width: w, height: h, channels: channels, data: out)
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
