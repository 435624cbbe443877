/// Geometry of one convolution (per group): input `channels × height × width`, square kernel, zero padding
/// `pad·dilation` on every side, output `outHeight × outWidth`.
public struct ConvGeometry: Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var kernel: Int
    public var strideX: Int
    public var strideY: Int
    public var pad: Int
    public var dilation: Int
    public var outHeight: Int
    public var outWidth: Int

    public init(channels: Int, height: Int, width: Int, kernel: Int, strideX: Int, strideY: Int, pad: Int, dilation: Int, outHeight: Int, outWidth: Int) {
        self.channels = channels
        self.height = height
        self.width = width
        self.kernel = kernel
        self.strideX = strideX
        self.strideY = strideY
        self.pad = pad
        self.dilation = dilation
        self.outHeight = outHeight
        self.outWidth = outWidth
    }

    /// Rows of the im2col matrix (`channels·k·k`).
    public var columnRows: Int { channels * kernel * kernel }
    public var outSpatial: Int { outHeight * outWidth }
    /// A 1×1, stride-1, unpadded convolution reads its input directly as the column matrix.
    public var isPointwise: Bool { kernel == 1 && strideX == 1 && strideY == 1 && pad == 0 }
}

public extension Kernels {
    /// Unfolds `input` (`channels × height × width`) into `columns` (`channels·k·k × outHeight·outWidth`), row order
    /// channel, kernel row, kernel column — the layout darknet's weights are stored in.
    static func im2col(_ g: ConvGeometry, input: UnsafePointer<Float>, columns: UnsafeMutablePointer<Float>) {
        let k = g.kernel
        let rows = g.columnRows
        let outW = g.outWidth, outH = g.outHeight
        let effPad = g.pad * g.dilation
        Parallel.chunks(rows, grain: max(1, 4096 / max(1, g.outSpatial))) { range in
            for row in range {
                let kx = row % k
                let ky = (row / k) % k
                let c = row / (k * k)
                let src = input + c * g.height * g.width
                let dst = columns + row * outH * outW
                let xOffset = kx * g.dilation - effPad
                // Output columns whose input column is inside the image: [xLo, xHi).
                let xLo = max(0, ceilDiv(-xOffset, g.strideX))
                let xHi = min(outW, max(0, ceilDiv(g.width - xOffset, g.strideX)))
                for oy in 0..<outH {
                    let iy = oy * g.strideY + ky * g.dilation - effPad
                    let d = dst + oy * outW
                    if iy < 0 || iy >= g.height || xLo >= xHi {
                        d.update(repeating: 0, count: outW)
                        continue
                    }
                    if xLo > 0 { d.update(repeating: 0, count: xLo) }
                    let s = src + iy * g.width + xOffset
                    if g.strideX == 1 {
                        (d + xLo).update(from: s + xLo, count: xHi - xLo)
                    } else {
                        let sx = g.strideX
                        for ox in xLo..<xHi { d[ox] = s[ox * sx] }
                    }
                    if xHi < outW { (d + xHi).update(repeating: 0, count: outW - xHi) }
                }
            }
        }
    }

    /// Folds a column matrix back into an image, summing overlapping taps (the adjoint of `im2col`).
    static func col2im(_ g: ConvGeometry, columns: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let k = g.kernel
        let outW = g.outWidth, outH = g.outHeight
        let effPad = g.pad * g.dilation
        // Rows of one channel all write into that channel only: split by channel to stay race-free.
        Parallel.chunks(g.channels) { range in
            for c in range {
                let dstImage = output + c * g.height * g.width
                for kk in 0..<(k * k) {
                    let row = c * k * k + kk
                    let kx = kk % k, ky = kk / k
                    let src = columns + row * outH * outW
                    for oy in 0..<outH {
                        let iy = oy * g.strideY + ky * g.dilation - effPad
                        if iy < 0 || iy >= g.height { continue }
                        for ox in 0..<outW {
                            let ix = ox * g.strideX + kx * g.dilation - effPad
                            if ix < 0 || ix >= g.width { continue }
                            dstImage[iy * g.width + ix] += src[oy * outW + ox]
                        }
                    }
                }
            }
        }
    }
}

@inline(__always) func ceilDiv(_ a: Int, _ b: Int) -> Int {
    // Ceiling division for any sign of a, b > 0.
    a >= 0 ? (a + b - 1) / b : -((-a) / b)
}
