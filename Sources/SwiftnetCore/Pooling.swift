import CKernels
/// Geometry of a spatial pooling window: `size × size`, strides, total padding split `padding/2` before and the
/// rest after (darknet's maxpool convention).
public struct PoolGeometry: Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var size: Int
    public var strideX: Int
    public var strideY: Int
    public var padding: Int
    public var outHeight: Int
    public var outWidth: Int

    public init(channels: Int, height: Int, width: Int, size: Int, strideX: Int, strideY: Int, padding: Int, outHeight: Int, outWidth: Int) {
        self.channels = channels
        self.height = height
        self.width = width
        self.size = size
        self.strideX = strideX
        self.strideY = strideY
        self.padding = padding
        self.outHeight = outHeight
        self.outWidth = outWidth
    }
}

public extension Kernels {
    /// Max over each window's in-image taps. Separable (rows, then columns), which equals the 2-D max because the
    /// valid taps of a window form a rectangle. `indices`, when given, receives the argmax flat input index.
    static func maxpool(_ g: PoolGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                        scratch: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>? = nil) {
        let before = g.padding / 2
        if let indices {
            maxpoolWithIndices(g, input: input, output: output, indices: indices)
            return
        }
        if g.size == 2 && g.strideX == 2 && g.strideY == 2 && before == 0 {
            maxpool2x2(g, input: input, output: output)
            return
        }
        Parallel.chunks(g.channels) { range in
            for c in range {
                let src = input + c * g.height * g.width
                let tmp = scratch + c * g.height * g.outWidth
                // Horizontal pass: tmp[iy][ox] = max over the window's valid columns.
                for iy in 0..<g.height {
                    let row = src + iy * g.width
                    let out = tmp + iy * g.outWidth
                    for ox in 0..<g.outWidth {
                        let x0 = ox * g.strideX - before
                        let lo = max(0, x0), hi = min(g.width, x0 + g.size)
                        var m = -Float.greatestFiniteMagnitude
                        var x = lo
                        while x < hi { m = max(m, row[x]); x += 1 }
                        out[ox] = m
                    }
                }
                // Vertical pass.
                let dst = output + c * g.outHeight * g.outWidth
                for oy in 0..<g.outHeight {
                    let y0 = oy * g.strideY - before
                    let lo = max(0, y0), hi = min(g.height, y0 + g.size)
                    let out = dst + oy * g.outWidth
                    if lo >= hi {
                        out.update(repeating: -Float.greatestFiniteMagnitude, count: g.outWidth)
                        continue
                    }
                    out.update(from: tmp + lo * g.outWidth, count: g.outWidth)
                    var y = lo + 1
                    while y < hi {
                        let r = tmp + y * g.outWidth
                        for ox in 0..<g.outWidth { out[ox] = max(out[ox], r[ox]) }
                        y += 1
                    }
                }
            }
        }
    }

    /// The common 2×2/2 window (padding only after the last row and column): both taps of every interior output
    /// in one pass, the odd last column and row with the taps that exist.
    private static func maxpool2x2(_ g: PoolGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let fullW = g.width / 2, fullH = g.height / 2
        Parallel.chunks(g.channels) { range in
            for c in range {
                let src = input + c * g.height * g.width
                let dst = output + c * g.outHeight * g.outWidth
                for oy in 0..<g.outHeight {
                    let r0 = src + 2 * oy * g.width
                    let out = dst + oy * g.outWidth
                    let twoRows = oy < fullH
                    let r1 = twoRows ? r0 + g.width : r0
                    if 2 * oy >= g.height {
                        out.update(repeating: -Float.greatestFiniteMagnitude, count: g.outWidth)
                        continue
                    }
                    sn_maxpool2x2_row(r0, r1, out, fullW)
                    for ox in fullW..<g.outWidth {
                        let x = 2 * ox
                        out[ox] = x < g.width ? max(r0[x], r1[x]) : -Float.greatestFiniteMagnitude
                    }
                }
            }
        }
    }

    /// Scratch floats `maxpool` needs.
    static func maxpoolScratchCount(_ g: PoolGeometry) -> Int { g.channels * g.height * g.outWidth }

    private static func maxpoolWithIndices(_ g: PoolGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>) {
        let before = g.padding / 2
        if g.size == 2 && g.strideX == 2 && g.strideY == 2 && before == 0 && g.outWidth == g.width / 2 && g.outHeight == g.height / 2 {
            // Every window whole (no padded taps): one C row kernel per output row.
            Parallel.chunks(g.channels) { range in
                for c in range {
                    for oy in 0..<g.outHeight {
                        let i0 = (c * g.height + 2 * oy) * g.width, o = (c * g.outHeight + oy) * g.outWidth
                        sn_maxpool2x2_row_indices(input + i0, input + i0 + g.width, i0, i0 + g.width, output + o, indices + o, g.outWidth)
                    }
                }
            }
            return
        }
        Parallel.chunks(g.channels) { range in
            for c in range {
                for oy in 0..<g.outHeight {
                    for ox in 0..<g.outWidth {
                        var best = -Float.greatestFiniteMagnitude
                        var bestIndex = -1
                        for ky in 0..<g.size {
                            let iy = oy * g.strideY - before + ky
                            if iy < 0 || iy >= g.height { continue }
                            for kx in 0..<g.size {
                                let ix = ox * g.strideX - before + kx
                                if ix < 0 || ix >= g.width { continue }
                                let index = (c * g.height + iy) * g.width + ix
                                if input[index] > best { best = input[index]; bestIndex = index }
                            }
                        }
                        let o = (c * g.outHeight + oy) * g.outWidth + ox
                        output[o] = best
                        indices[o] = Int32(bestIndex)
                    }
                }
            }
        }
    }

    /// `maxpool_depth=1`: output channel g = max over input channels g, g+out, g+2·out, …
    static func maxpoolDepth(channels: Int, outChannels: Int, spatial: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        for g in 0..<outChannels {
            let dst = output + g * spatial
            dst.update(from: input + g * spatial, count: spatial)
            var c = g + outChannels
            while c < channels {
                let src = input + c * spatial
                for i in 0..<spatial { dst[i] = max(dst[i], src[i]) }
                c += outChannels
            }
        }
    }

    /// Mean over each window's in-image taps (`[local_avgpool]`).
    static func localAvgpool(_ g: PoolGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let before = g.padding / 2
        Parallel.chunks(g.channels) { range in
            for c in range {
                for oy in 0..<g.outHeight {
                    for ox in 0..<g.outWidth {
                        var sum: Float = 0
                        var n = 0
                        for ky in 0..<g.size {
                            let iy = oy * g.strideY - before + ky
                            if iy < 0 || iy >= g.height { continue }
                            for kx in 0..<g.size {
                                let ix = ox * g.strideX - before + kx
                                if ix < 0 || ix >= g.width { continue }
                                sum += input[(c * g.height + iy) * g.width + ix]
                                n += 1
                            }
                        }
                        output[(c * g.outHeight + oy) * g.outWidth + ox] = n > 0 ? sum / Float(n) : 0
                    }
                }
            }
        }
    }

    /// Global average over `spatial` values per channel.
    static func globalAvgpool(channels: Int, spatial: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        for c in 0..<channels {
            let src = input + c * spatial
            var sum: Float = 0
            for i in 0..<spatial { sum += src[i] }
            output[c] = sum / Float(spatial)
        }
    }
}
