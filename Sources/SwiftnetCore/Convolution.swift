import SwiftnetFormat

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
    static func im2col(_ g: ConvGeometry, input: UnsafePointer<Float>, columns: UnsafeMutablePointer<Float>, threads: Int = Parallel.threads) {
        Parallel.chunks(g.columnRows, grain: max(1, 4096 / max(1, g.outSpatial)), threads: threads) { range in
            im2colRows(g, input: input, columns: columns, rows: range)
        }
    }

    /// `im2col` on the calling thread (for callers that parallelise over images).
    static func im2colSerial(_ g: ConvGeometry, input: UnsafePointer<Float>, columns: UnsafeMutablePointer<Float>) {
        im2colRows(g, input: input, columns: columns, rows: 0..<g.columnRows)
    }

    @inline(__always)
    static func im2colRows(_ g: ConvGeometry, input: UnsafePointer<Float>, columns: UnsafeMutablePointer<Float>, rows range: Range<Int>) {
        let k = g.kernel
        let outW = g.outWidth, outH = g.outHeight
        let effPad = g.pad * g.dilation
        do {
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
        // Rows of one channel all write into that channel only: split by channel to stay race-free.
        Parallel.chunks(g.channels) { range in col2imChannels(g, columns: columns, output: output, channels: range) }
    }

    /// `col2im` on the calling thread (for callers that parallelise over images).
    static func col2imSerial(_ g: ConvGeometry, columns: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        col2imChannels(g, columns: columns, output: output, channels: 0..<g.channels)
    }

    @inline(__always)
    static func col2imChannels(_ g: ConvGeometry, columns: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, channels range: Range<Int>) {
        let k = g.kernel
        let outW = g.outWidth, outH = g.outHeight
        let effPad = g.pad * g.dilation
        for c in range {
            let dstImage = output + c * g.height * g.width
            for kk in 0..<(k * k) {
                let kx = kk % k, ky = kk / k
                let src = columns + (c * k * k + kk) * outH * outW
                let xOffset = kx * g.dilation - effPad
                let xLo = max(0, ceilDiv(-xOffset, g.strideX))
                let xHi = min(outW, max(0, ceilDiv(g.width - xOffset, g.strideX)))
                guard xLo < xHi else { continue }
                for oy in 0..<outH {
                    let iy = oy * g.strideY + ky * g.dilation - effPad
                    if iy < 0 || iy >= g.height { continue }
                    let d = dstImage + iy * g.width + xOffset
                    let s = src + oy * outW
                    if g.strideX == 1 {
                        for ox in xLo..<xHi { d[ox] += s[ox] }
                    } else {
                        let sx = g.strideX
                        for ox in xLo..<xHi { d[ox * sx] += s[ox] }
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

public extension Kernels {
    /// Columns of the output handled by one tile of the tiled convolution.
    static let convolutionTile = 2048

    /// Scratch floats `convolution` needs for a geometry.
    static func convolutionWorkspaceCount(_ g: ConvGeometry, threads: Int) -> Int {
        g.isPointwise ? 0 : max(1, threads) * g.columnRows * min(convolutionTile, g.outSpatial)
    }

    /// The column matrix of one group of one image: the input itself for pointwise convolutions, else `im2col` into
    /// `scratch` (on all threads, or on the calling thread when `serial`).
    @inline(__always)
    static func columns(_ g: ConvGeometry, input: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                        serial: Bool, threads: Int = Parallel.threads) -> UnsafePointer<Float> {
        if g.isPointwise { return input }
        if serial { im2colSerial(g, input: input, columns: scratch) } else { im2col(g, input: input, columns: scratch, threads: threads) }
        return UnsafePointer(scratch)
    }

    /// Scratch floats `convolutionBatch` needs.
    static func convolutionBatchWorkspaceCount(_ g: ConvGeometry, threads: Int) -> Int {
        max(convolutionWorkspaceCount(g, threads: threads), g.isPointwise ? 0 : max(1, threads) * g.columnRows * g.outSpatial)
    }

    /// A grouped convolution over a batch without bias or activation (training normalises the raw output first):
    /// workers take whole images when the batch covers the threads, else each image runs the tiled path.
    static func convolutionBatch(_ g: ConvGeometry, groups: Int, filters m: Int, batch: Int, weights: UnsafePointer<Float>,
                                 input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>,
                                 threads: Int) {
        let k = g.columnRows
        let spatial = g.outSpatial
        let groupInput = g.channels * g.height * g.width
        if batch >= threads {
            Parallel.tasks(batch, threads: threads) { b, worker in
                for group in 0..<groups {
                    let cols = columns(g, input: input + (b * groups + group) * groupInput, scratch: workspace + worker * k * spatial, serial: true)
                    Gemm.sgemm(transA: false, transB: false, m: m, n: spatial, k: k, alpha: 1, a: weights + group * m * k, lda: k,
                               b: cols, ldb: spatial, beta: 0, c: output + (b * groups + group) * m * spatial, ldc: spatial)
                }
            }
        } else {
            for b in 0..<batch {
                for group in 0..<groups {
                    convolution(g, filters: m, weights: weights + group * m * k, bias: nil, activation: .linear,
                                input: input + (b * groups + group) * groupInput, output: output + (b * groups + group) * m * spatial,
                                workspace: workspace, threads: threads)
                }
            }
        }
    }

    /// A convolution with bias and activation over `batch` images. The output columns of every image are cut into
    /// cache-sized tiles and all tiles of all images share one parallel region (one synchronisation per layer, not
    /// per image); with fewer tiles than threads each image runs the tiled
    /// ``convolution(_:filters:weights:bias:activation:input:output:workspace:)`` instead.
    static func convolutionInference(_ g: ConvGeometry, groups: Int, filters m: Int, batch: Int, weights: UnsafePointer<Float>,
                                     bias: UnsafePointer<Float>, activation: Activation, input: UnsafePointer<Float>,
                                     output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>, threads: Int) {
        let k = g.columnRows, n = g.outSpatial
        let groupInput = g.channels * g.height * g.width
        let elementwise: Activation = activation.isChannelwise ? .linear : activation
        let tilesPerImage = (n + convolutionTile - 1) / convolutionTile
        let tile = min(n, (ceilDiv(n, tilesPerImage) + 15) / 16 * 16)
        let perImage = (n + tile - 1) / tile
        let tasks = batch * groups * perImage
        if batch > 1 && tasks >= threads {
            Parallel.tasks(tasks, threads: threads) { task, worker in
                let t = task % perImage, bg = task / perImage
                let group = bg % groups
                let n0 = t * tile, width = min(tile, n - n0)
                let source = input + bg * groupInput
                let columns: UnsafePointer<Float>
                let ldb: Int
                if g.isPointwise {
                    columns = source + n0
                    ldb = n
                } else {
                    let scratch = workspace + worker * k * tile
                    im2colColumns(g, input: source, columns: scratch, first: n0, count: width)
                    columns = UnsafePointer(scratch)
                    ldb = width
                }
                let out = output + bg * m * n + n0
                Gemm.sgemm(transA: false, transB: false, m: m, n: width, k: k, alpha: 1, a: weights + group * m * k, lda: k,
                           b: columns, ldb: ldb, beta: 0, c: out, ldc: n)
                for c in 0..<m {
                    let row = out + c * n
                    let b = bias[group * m + c]
                    for i in 0..<width { row[i] += b }
                    activateRange(row, 0..<width, elementwise)
                }
            }
        } else {
            for b in 0..<batch {
                for group in 0..<groups {
                    convolution(g, filters: m, weights: weights + group * m * k, bias: bias + group * m, activation: elementwise,
                                input: input + (b * groups + group) * groupInput, output: output + (b * groups + group) * m * n,
                                workspace: workspace, threads: threads)
                }
            }
        }
        if activation.isChannelwise { activate(output, batch: batch, channels: m * groups, spatial: n, activation) }
    }

    /// Scratch floats ``convolutionInference(_:groups:filters:batch:weights:bias:activation:input:output:workspace:)`` needs.
    static func convolutionInferenceWorkspaceCount(_ g: ConvGeometry, batch: Int, threads: Int) -> Int {
        g.isPointwise ? 0 : max(convolutionWorkspaceCount(g, threads: threads), max(1, threads) * g.columnRows * min(g.outSpatial, convolutionTile + 16))
    }

    /// One group of a convolution for one image, fused with bias and activation:
    /// `output[m × outSpatial] = act(weights[m × K] · im2col(input) + bias)`.
    ///
    /// The output columns are cut into tiles spread over the worker threads; each thread unfolds only its tile's
    /// columns (cache-sized), multiplies with single-threaded GEMM and activates the tile while it is hot.
    static func convolution(_ g: ConvGeometry, filters m: Int, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                            activation: Activation, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                            workspace: UnsafeMutablePointer<Float>, threads: Int) {
        let n = g.outSpatial
        let k = g.columnRows
        let threads = max(1, threads)
        let minimumTiles = (n + convolutionTile - 1) / convolutionTile
        if minimumTiles < threads {
            // Few columns: unfold once, then split the filters across threads.
            let cols = columns(g, input: input, scratch: workspace, serial: false, threads: threads)
            Gemm.sgemmParallelRows(m: m, n: n, k: k, a: weights, lda: k, b: cols, ldb: n, beta: 0, c: output, ldc: n, threads: threads)
            biasActivate(output, bias: bias, channels: m, spatial: n, activation)
            return
        }
        do {
            // Balance the tiles over the threads: a whole number of rounds, equal widths (multiples of 16, ≤ convolutionTile).
            let rounds = (minimumTiles + threads - 1) / threads
            let tile = min(n, (ceilDiv(n, rounds * threads) + 15) / 16 * 16)
            let tiles = (n + tile - 1) / tile
            Parallel.tasks(tiles, threads: threads) { t, worker in
                let n0 = t * tile
                let width = min(tile, n - n0)
                let columns: UnsafePointer<Float>
                let ldb: Int
                if g.isPointwise {
                    columns = input + n0
                    ldb = n
                } else {
                    let scratch = workspace + worker * k * tile
                    im2colColumns(g, input: input, columns: scratch, first: n0, count: width)
                    columns = UnsafePointer(scratch)
                    ldb = width
                }
                Gemm.sgemm(transA: false, transB: false, m: m, n: width, k: k, alpha: 1, a: weights, lda: k, b: columns, ldb: ldb,
                           beta: 0, c: output + n0, ldc: n)
                for c in 0..<m {
                    let row = output + c * n + n0
                    if let bias {
                        let b = bias[c]
                        for i in 0..<width { row[i] += b }
                    }
                    if !activation.isChannelwise { activateRange(row, 0..<width, activation) }
                }
            }
            // Channel-wise activations need whole columns across all filters: apply them once every tile is done.
            if activation.isChannelwise { activate(output, batch: 1, channels: m, spatial: n, activation) }
        }
    }

    /// im2col restricted to output positions `first ..< first+count` (row-major over the output image);
    /// writes a `columnRows × count` matrix.
    static func im2colColumns(_ g: ConvGeometry, input: UnsafePointer<Float>, columns: UnsafeMutablePointer<Float>, first: Int, count: Int) {
        let k = g.kernel
        let outW = g.outWidth
        let effPad = g.pad * g.dilation
        let last = first + count
        for row in 0..<g.columnRows {
            let kx = row % k
            let ky = (row / k) % k
            let c = row / (k * k)
            let src = input + c * g.height * g.width
            let dst = columns + row * count
            let xOffset = kx * g.dilation - effPad
            let xLo = max(0, ceilDiv(-xOffset, g.strideX))
            let xHi = min(outW, max(0, ceilDiv(g.width - xOffset, g.strideX)))
            var p = first
            while p < last {
                let oy = p / outW
                let ox0 = p - oy * outW
                let ox1 = min(outW, ox0 + (last - p))
                let d = dst + (p - first) - ox0
                let iy = oy * g.strideY + ky * g.dilation - effPad
                if iy < 0 || iy >= g.height || xLo >= xHi {
                    (d + ox0).update(repeating: 0, count: ox1 - ox0)
                } else {
                    let lo = max(ox0, xLo), hi = min(ox1, max(xLo, xHi))
                    if lo > ox0 { (d + ox0).update(repeating: 0, count: lo - ox0) }
                    let s = src + iy * g.width + xOffset
                    if lo < hi {
                        if g.strideX == 1 {
                            (d + lo).update(from: s + lo, count: hi - lo)
                        } else {
                            let sx = g.strideX
                            for ox in lo..<hi { d[ox] = s[ox * sx] }
                        }
                    }
                    let zeroFrom = max(lo, hi)
                    if zeroFrom < ox1 { (d + zeroFrom).update(repeating: 0, count: ox1 - zeroFrom) }
                }
                p += ox1 - ox0
            }
        }
    }
}
