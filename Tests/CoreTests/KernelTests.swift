import SwiftnetCore
import SwiftnetFormat
import XCTest

final class KernelTests: XCTestCase {
    /// The tiled im2col (any column range) equals the whole-image im2col.
    func testIm2colColumnsMatchesFullUnfold() {
        let g = ConvGeometry(channels: 2, height: 7, width: 9, kernel: 3, strideX: 2, strideY: 1, pad: 1, dilation: 2, outHeight: 7, outWidth: 5)
        let input = (0..<(2 * 7 * 9)).map { Float($0) + 1 }
        var full = [Float](repeating: -1, count: g.columnRows * g.outSpatial)
        input.withUnsafeBufferPointer { src in full.withUnsafeMutableBufferPointer { Kernels.im2col(g, input: src.baseAddress!, columns: $0.baseAddress!) } }
        for (first, count) in [(0, 35), (3, 11), (12, 23), (34, 1)] {
            var part = [Float](repeating: -1, count: g.columnRows * count)
            input.withUnsafeBufferPointer { src in part.withUnsafeMutableBufferPointer {
                Kernels.im2colColumns(g, input: src.baseAddress!, columns: $0.baseAddress!, first: first, count: count)
            } }
            for r in 0..<g.columnRows {
                XCTAssertEqual(Array(part[(r * count)..<((r + 1) * count)]), Array(full[(r * 35 + first)..<(r * 35 + first + count)]), "row \(r) from \(first)")
            }
        }
        // Spot check against the definition: row (c=1, ky=2, kx=0), output (y=0, x=1): input (y = −2+4, x = 2−2+0).
        let row = (1 * 3 + 2) * 3 + 0
        XCTAssertEqual(full[row * 35 + 1], input[(1 * 7 + 2) * 9 + 0])
        // Top-left tap of the first output lies in the padding.
        XCTAssertEqual(full[0], 0)
    }

    func testCol2imIsTheAdjointOfIm2col() {
        let g = ConvGeometry(channels: 2, height: 5, width: 6, kernel: 3, strideX: 2, strideY: 2, pad: 1, dilation: 1, outHeight: 3, outWidth: 3)
        let x = (0..<60).map { Float(($0 * 7) % 11) - 5 }
        let y = (0..<(g.columnRows * g.outSpatial)).map { Float(($0 * 5) % 13) - 6 }
        var cols = [Float](repeating: 0, count: y.count)
        var back = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { src in cols.withUnsafeMutableBufferPointer { Kernels.im2col(g, input: src.baseAddress!, columns: $0.baseAddress!) } }
        y.withUnsafeBufferPointer { src in back.withUnsafeMutableBufferPointer { Kernels.col2im(g, columns: src.baseAddress!, output: $0.baseAddress!) } }
        // <im2col(x), y> == <x, col2im(y)>
        let lhs = zip(cols, y).reduce(0) { $0 + Double($1.0 * $1.1) }
        let rhs = zip(x, back).reduce(0) { $0 + Double($1.0 * $1.1) }
        XCTAssertEqual(lhs, rhs, accuracy: 1e-9)
    }

    func testParallelTasksRunEachTaskOnce() {
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 100)
        counts.initialize(repeating: 0, count: 100)
        defer { counts.deallocate() }
        Parallel.tasks(100) { t, worker in
            XCTAssertLessThan(worker, Parallel.threads)
            counts[t] += 1
        }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: counts, count: 100)), [Int](repeating: 1, count: 100))
    }

    /// The fused convolution (tiled or filter-split, any thread count) equals a direct sum over taps, and a
    /// channel-wise activation is applied to whole columns.
    func testConvolutionMatchesDirectSumForAnyThreadCount() {
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        let filters = 3
        for kernel in [1, 3] {
            let pad = kernel / 2
            // 50×101 = 5050 output columns: 3 tiles of at most convolutionTile, so 1–3 threads tile and more split filters.
            let g = ConvGeometry(channels: 2, height: 50, width: 101, kernel: kernel, strideX: 1, strideY: 1, pad: pad, dilation: 1,
                                 outHeight: 50, outWidth: 101)
            let n = g.outSpatial
            let input = (0..<(2 * n)).map { Float(($0 * 37) % 23) / 23 - 0.5 }
            let weights = (0..<(filters * g.columnRows)).map { Float(($0 * 11) % 7) / 7 - 0.4 }
            let bias: [Float] = [0.1, -0.2, 0.05]
            var expected = [Float](repeating: 0, count: filters * n)
            for f in 0..<filters {
                for y in 0..<50 {
                    for x in 0..<101 {
                        var sum = bias[f]
                        for c in 0..<2 {
                            for ky in 0..<kernel {
                                for kx in 0..<kernel {
                                    let iy = y - pad + ky, ix = x - pad + kx
                                    guard iy >= 0, iy < 50, ix >= 0, ix < 101 else { continue }
                                    sum += weights[((f * 2 + c) * kernel + ky) * kernel + kx] * input[(c * 50 + iy) * 101 + ix]
                                }
                            }
                        }
                        expected[f * n + y * 101 + x] = sum > 0 ? sum : 0.1 * sum
                    }
                }
            }
            var linear = expected.map { $0 > 0 ? $0 : $0 / 0.1 }
            linear.withUnsafeMutableBufferPointer { Kernels.activate($0.baseAddress!, batch: 1, channels: filters, spatial: n, .normalizeChannels) }
            for threads in [1, 2, 3, 4, 7] {
                for (activation, reference) in [(Activation.leaky, expected), (.normalizeChannels, linear)] {
                    var output = [Float](repeating: .nan, count: filters * n)
                    var workspace = [Float](repeating: 0, count: max(1, Kernels.convolutionWorkspaceCount(g, threads: threads)))
                    input.withUnsafeBufferPointer { src in weights.withUnsafeBufferPointer { w in bias.withUnsafeBufferPointer { b in
                        output.withUnsafeMutableBufferPointer { out in workspace.withUnsafeMutableBufferPointer { ws in
                            Kernels.convolution(g, filters: filters, weights: w.baseAddress!, bias: b.baseAddress!, activation: activation,
                                                input: src.baseAddress!, output: out.baseAddress!, workspace: ws.baseAddress!, threads: threads)
                        } }
                    } } }
                    let worst = zip(output, reference).map { abs($0 - $1).isNaN ? Float.infinity : abs($0 - $1) }.max() ?? .infinity
                    XCTAssertLessThan(worst, 1e-4, "kernel \(kernel), \(threads) threads, \(activation)")
                }
            }
        }
    }

    /// Weight and input gradients of a grouped convolution against direct sums, whether the batch is split by image
    /// (batch ≥ threads) or each image's products are split inside it (batch < threads).
    func testConvolutionBackwardMatchesDirectSumsForAnyThreadCount() {
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        for (kernel, stride, pad) in [(1, 1, 0), (3, 2, 1), (3, 1, 1)] {
            let groups = 2, channels = 3, m = 4, h = 9, w = 11
            let oh = (h + 2 * pad - kernel) / stride + 1, ow = (w + 2 * pad - kernel) / stride + 1
            let g = ConvGeometry(channels: channels, height: h, width: w, kernel: kernel, strideX: stride, strideY: stride, pad: pad,
                                 dilation: 1, outHeight: oh, outWidth: ow)
            let k = g.columnRows
            for batch in [1, 2, 3] {
                let input = (0..<(batch * groups * channels * h * w)).map { Float(($0 * 37) % 23) / 23 - 0.5 }
                let delta = (0..<(batch * groups * m * oh * ow)).map { Float(($0 * 13) % 17) / 17 - 0.45 }
                let weights = (0..<(groups * m * k)).map { Float(($0 * 11) % 7) / 7 - 0.4 }
                var expectedW = (0..<weights.count).map { Float($0 % 3) * 0.25 }        // updates accumulate
                var expectedIn = (0..<input.count).map { Float($0 % 5) * 0.1 }
                let startW = expectedW, startIn = expectedIn
                for b in 0..<batch {
                    for f in 0..<(groups * m) {
                        let group = f / m
                        for oy in 0..<oh {
                            for ox in 0..<ow {
                                let d = delta[((b * groups * m + f) * oh + oy) * ow + ox]
                                for c in 0..<channels {
                                    for ky in 0..<kernel {
                                        for kx in 0..<kernel {
                                            let iy = oy * stride + ky - pad, ix = ox * stride + kx - pad
                                            guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                            let wi = ((f * channels + c) * kernel + ky) * kernel + kx
                                            let ii = ((b * groups + group) * channels + c) * h * w + iy * w + ix
                                            expectedW[wi] += d * input[ii]
                                            expectedIn[ii] += d * weights[wi]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                for threads in [1, 2, 3, 4] {
                    var dW = startW, dIn = startIn
                    var workspace = [Float](repeating: .nan, count: Kernels.convolutionBackwardWorkspaceCount(g, weightCount: weights.count, threads: threads))
                    input.withUnsafeBufferPointer { i in delta.withUnsafeBufferPointer { d in weights.withUnsafeBufferPointer { wt in
                        dW.withUnsafeMutableBufferPointer { dw in dIn.withUnsafeMutableBufferPointer { di in
                            workspace.withUnsafeMutableBufferPointer { ws in
                                Kernels.convolutionBackward(g, groups: groups, filters: m, batch: batch, input: i.baseAddress!, delta: d.baseAddress!,
                                                            weights: wt.baseAddress!, weightUpdate: dw.baseAddress!, inputDelta: di.baseAddress!,
                                                            workspace: ws.baseAddress!, threads: threads)
                            }
                        } }
                    } } }
                    let label = "kernel \(kernel) stride \(stride), batch \(batch), \(threads) threads"
                    XCTAssertLessThan(zip(dW, expectedW).map { abs($0 - $1) }.max() ?? .infinity, 1e-4, "weights: " + label)
                    XCTAssertLessThan(zip(dIn, expectedIn).map { abs($0 - $1) }.max() ?? .infinity, 1e-4, "input: " + label)
                }
            }
        }
    }

    /// The batched training convolution (whole images per worker, or the tiled path) equals one image at a time.
    func testConvolutionBatchMatchesPerImageConvolution() {
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        let groups = 2, channels = 3, m = 5
        let g = ConvGeometry(channels: channels, height: 13, width: 17, kernel: 3, strideX: 2, strideY: 1, pad: 1, dilation: 1,
                             outHeight: 13, outWidth: 9)
        let k = g.columnRows, n = g.outSpatial
        for batch in [1, 3] {
            let input = (0..<(batch * groups * channels * 13 * 17)).map { Float(($0 * 29) % 31) / 31 - 0.5 }
            let weights = (0..<(groups * m * k)).map { Float(($0 * 7) % 11) / 11 - 0.5 }
            var expected = [Float](repeating: 0, count: batch * groups * m * n)
            for b in 0..<batch {
                for group in 0..<groups {
                    for f in 0..<m {
                        for oy in 0..<13 {
                            for ox in 0..<9 {
                                var sum: Float = 0
                                for c in 0..<channels {
                                    for ky in 0..<3 {
                                        for kx in 0..<3 {
                                            let iy = oy + ky - 1, ix = 2 * ox + kx - 1
                                            guard iy >= 0, iy < 13, ix >= 0, ix < 17 else { continue }
                                            sum += weights[(((group * m + f) * channels + c) * 3 + ky) * 3 + kx]
                                                * input[(((b * groups + group) * channels + c) * 13 + iy) * 17 + ix]
                                        }
                                    }
                                }
                                expected[((b * groups + group) * m + f) * n + oy * 9 + ox] = sum
                            }
                        }
                    }
                }
            }
            for threads in [1, 2, 4] {
                var output = [Float](repeating: .nan, count: expected.count)
                var workspace = [Float](repeating: 0, count: Kernels.convolutionBatchWorkspaceCount(g, threads: threads))
                input.withUnsafeBufferPointer { i in weights.withUnsafeBufferPointer { w in
                    output.withUnsafeMutableBufferPointer { o in workspace.withUnsafeMutableBufferPointer { ws in
                        Kernels.convolutionBatch(g, groups: groups, filters: m, batch: batch, weights: w.baseAddress!, input: i.baseAddress!,
                                                 output: o.baseAddress!, workspace: ws.baseAddress!, threads: threads)
                    } }
                } }
                let worst = zip(output, expected).map { abs($0 - $1).isNaN ? Float.infinity : abs($0 - $1) }.max() ?? .infinity
                XCTAssertLessThan(worst, 1e-4, "batch \(batch), \(threads) threads")
            }
        }
    }

    /// Max pooling (the 2×2/2 fast path and the general one) against a direct scan of the in-image taps.
    func testMaxpoolMatchesDirectScan() {
        for (size, stride, padding) in [(2, 2, 1), (2, 2, 0), (3, 2, 2), (2, 1, 1), (5, 1, 4)] {
            for (h, w) in [(6, 8), (7, 9), (1, 5), (4, 1)] {
                let outH = (h + padding - size) / stride + 1, outW = (w + padding - size) / stride + 1
                guard outH > 0, outW > 0 else { continue }
                let g = PoolGeometry(channels: 3, height: h, width: w, size: size, strideX: stride, strideY: stride, padding: padding,
                                     outHeight: outH, outWidth: outW)
                let input = (0..<(3 * h * w)).map { Float(($0 * 37) % 19) - 9 }
                var expected = [Float](repeating: 0, count: 3 * outH * outW)
                var expectedIndices = [Int32](repeating: -1, count: 3 * outH * outW)
                for c in 0..<3 {
                    for oy in 0..<outH {
                        for ox in 0..<outW {
                            var m = -Float.greatestFiniteMagnitude
                            for ky in 0..<size {
                                for kx in 0..<size {
                                    let iy = oy * stride - padding / 2 + ky, ix = ox * stride - padding / 2 + kx
                                    // darknet's scan: a later tap wins only when strictly greater (ties keep the first).
                                    if iy >= 0, iy < h, ix >= 0, ix < w, input[(c * h + iy) * w + ix] > m {
                                        m = input[(c * h + iy) * w + ix]
                                        expectedIndices[(c * outH + oy) * outW + ox] = Int32((c * h + iy) * w + ix)
                                    }
                                }
                            }
                            expected[(c * outH + oy) * outW + ox] = m
                        }
                    }
                }
                // With argmax indices (training), including the whole-window 2×2/2 row kernel.
                var withIndices = [Float](repeating: .nan, count: expected.count)
                var indices = [Int32](repeating: -7, count: expected.count)
                var unused = [Float](repeating: 0, count: max(1, Kernels.maxpoolScratchCount(g)))
                input.withUnsafeBufferPointer { i in withIndices.withUnsafeMutableBufferPointer { o in
                    unused.withUnsafeMutableBufferPointer { sc in indices.withUnsafeMutableBufferPointer { ix in
                        Kernels.maxpool(g, input: i.baseAddress!, output: o.baseAddress!, scratch: sc.baseAddress!, indices: ix.baseAddress!)
                    } }
                } }
                XCTAssertEqual(withIndices, expected, "indices: size \(size) stride \(stride) padding \(padding), \(h)×\(w)")
                XCTAssertEqual(indices, expectedIndices, "indices: size \(size) stride \(stride) padding \(padding), \(h)×\(w)")
                var output = [Float](repeating: .nan, count: expected.count)
                var scratch = [Float](repeating: 0, count: max(1, Kernels.maxpoolScratchCount(g)))
                input.withUnsafeBufferPointer { i in output.withUnsafeMutableBufferPointer { o in scratch.withUnsafeMutableBufferPointer { sc in
                    Kernels.maxpool(g, input: i.baseAddress!, output: o.baseAddress!, scratch: sc.baseAddress!)
                } } }
                XCTAssertEqual(output, expected, "size \(size) stride \(stride) padding \(padding), \(h)×\(w)")
            }
        }
    }

    func testGemmRowMajor() {
        let a: [Float] = [1, 2, 3, 4, 5, 6] // 2×3
        let b: [Float] = [1, 0, 0, 1, 1, 1] // 3×2
        var c = [Float](repeating: 0, count: 4)
        Gemm.sgemm(transA: false, transB: false, m: 2, n: 2, k: 3, alpha: 1, a: a, lda: 3, b: b, ldb: 2, beta: 0, c: &c, ldc: 2)
        XCTAssertEqual(c, [4, 5, 10, 11])
    }
}
