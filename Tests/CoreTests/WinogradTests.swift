import SwiftnetCore
import SwiftnetFormat
import XCTest

/// Winograd F(4×4, 3×3) against direct sums in double precision: odd sizes (partial edge tiles), padding 0–2, groups,
/// batches, 1–4 threads (both the whole-block-per-worker and the split-stages schedules).
final class WinogradTests: XCTestCase {
    struct Case {
        var channels, filters, height, width, pad, groups, batch: Int
        var activation: Activation
    }

    func direct(_ c: Case, input: [Float], weights: [Float], bias: [Float], outH: Int, outW: Int) -> [Float] {
        let cin = c.channels / c.groups, mg = c.filters / c.groups
        var out = [Float](repeating: 0, count: c.batch * c.filters * outH * outW)
        for b in 0..<c.batch {
            for f in 0..<c.filters {
                let group = f / mg
                for y in 0..<outH {
                    for x in 0..<outW {
                        var sum = Double(bias[f])
                        for ci in 0..<cin {
                            let channel = group * cin + ci
                            for ky in 0..<3 {
                                for kx in 0..<3 {
                                    let iy = y - c.pad + ky, ix = x - c.pad + kx
                                    guard iy >= 0, iy < c.height, ix >= 0, ix < c.width else { continue }
                                    sum += Double(weights[((f * cin + ci) * 3 + ky) * 3 + kx])
                                        * Double(input[((b * c.channels + channel) * c.height + iy) * c.width + ix])
                                }
                            }
                        }
                        out[((b * c.filters + f) * outH + y) * outW + x] = Float(sum)
                    }
                }
            }
        }
        out.withUnsafeMutableBufferPointer {
            Kernels.activate($0.baseAddress!, batch: c.batch, channels: c.filters, spatial: outH * outW, c.activation)
        }
        return out
    }

    func testWinogradMatchesDirectSums() {
        let cases = [
            Case(channels: 8, filters: 8, height: 13, width: 13, pad: 1, groups: 1, batch: 1, activation: .linear),
            Case(channels: 12, filters: 9, height: 17, width: 23, pad: 1, groups: 1, batch: 2, activation: .leaky),
            Case(channels: 16, filters: 10, height: 9, width: 30, pad: 0, groups: 1, batch: 3, activation: .mish),
            Case(channels: 16, filters: 16, height: 11, width: 7, pad: 2, groups: 2, batch: 1, activation: .logistic),
            Case(channels: 10, filters: 12, height: 5, width: 5, pad: 1, groups: 1, batch: 1, activation: .normalizeChannels),
            Case(channels: 9, filters: 8, height: 64, width: 61, pad: 1, groups: 1, batch: 1, activation: .leaky),
            // Small images several to a block: 16 tiles each, 5 images in blocks of 3 and 2; grouped, 3 in one block.
            Case(channels: 8, filters: 8, height: 13, width: 13, pad: 1, groups: 1, batch: 5, activation: .leaky),
            Case(channels: 16, filters: 16, height: 10, width: 9, pad: 0, groups: 2, batch: 3, activation: .mish),
        ]
        for (index, c) in cases.enumerated() {
            let cin = c.channels / c.groups, mg = c.filters / c.groups
            let g = ConvGeometry(channels: cin, height: c.height, width: c.width, kernel: 3, strideX: 1, strideY: 1, pad: c.pad,
                                 dilation: 1, outHeight: c.height + 2 * c.pad - 2, outWidth: c.width + 2 * c.pad - 2)
            XCTAssertTrue(Kernels.winogradEligible(g, filters: mg))
            var rng = SeededRandom(seed: UInt64(index + 1))
            let input = (0..<(c.batch * c.channels * c.height * c.width)).map { _ in rng.uniform(-1, 1) }
            let weights = (0..<(c.filters * cin * 9)).map { _ in rng.uniform(-0.5, 0.5) }
            let bias = (0..<c.filters).map { _ in rng.uniform(-0.3, 0.3) }
            let expected = direct(c, input: input, weights: weights, bias: bias, outH: g.outHeight, outW: g.outWidth)
            let transformed = weights.withUnsafeBufferPointer {
                Kernels.winogradWeights($0.baseAddress!, groups: c.groups, filters: mg, channels: cin)
            }
            for threads in 1...4 {
                var output = [Float](repeating: .nan, count: expected.count)
                let workspace = Buffer(count: Kernels.winogradWorkspaceCount(g, filters: mg, batch: c.batch, threads: threads))
                input.withUnsafeBufferPointer { src in bias.withUnsafeBufferPointer { b in output.withUnsafeMutableBufferPointer { out in
                    Kernels.convolutionWinograd(g, groups: c.groups, filters: mg, batch: c.batch, transformed: transformed.pointer,
                                                bias: b.baseAddress!, activation: c.activation, input: src.baseAddress!,
                                                output: out.baseAddress!, workspace: workspace.pointer, threads: threads)
                } } }
                let worst = zip(output, expected).map { abs($0 - $1).isNaN ? Float.infinity : abs($0 - $1) }.max() ?? .infinity
                let scale = expected.map { abs($0) }.max() ?? 1
                XCTAssertLessThan(worst, 5e-6 * max(1, scale), "case \(index), \(threads) threads")
            }
        }
    }

    /// The input delta of a 3×3 stride-1 convolution as a Winograd convolution of the output delta with the turned
    /// kernels (padding 2 − pad), added to what the delta already holds, against direct sums.
    func testInputDeltaMatchesDirectSums() {
        for (pad, groups, batch) in [(1, 1, 1), (0, 2, 2), (2, 1, 3)] {
            let c = 8, m = 9, h = 21, w = 26
            let g = ConvGeometry(channels: c, height: h, width: w, kernel: 3, strideX: 1, strideY: 1, pad: pad, dilation: 1,
                                 outHeight: h + 2 * pad - 2, outWidth: w + 2 * pad - 2)
            var rng = SeededRandom(seed: UInt64(pad + 7))
            let delta = (0..<(batch * groups * m * g.outSpatial)).map { _ in rng.uniform(-1, 1) }
            let weights = (0..<(groups * m * c * 9)).map { _ in rng.uniform(-0.5, 0.5) }
            let prior = (0..<(batch * groups * c * h * w)).map { _ in rng.uniform(-1, 1) }
            var expected = prior.map(Double.init)
            for b in 0..<batch {
                for group in 0..<groups {
                    for f in 0..<m {
                        for y in 0..<g.outHeight {
                            for x in 0..<g.outWidth {
                                let d = Double(delta[((b * groups + group) * m + f) * g.outSpatial + y * g.outWidth + x])
                                for ci in 0..<c {
                                    for ky in 0..<3 {
                                        for kx in 0..<3 {
                                            let iy = y - pad + ky, ix = x - pad + kx
                                            guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                            expected[((b * groups + group) * c + ci) * h * w + iy * w + ix]
                                                += d * Double(weights[(((group * m + f) * c + ci) * 3 + ky) * 3 + kx])
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let gd = Kernels.winogradInputDeltaGeometry(g, filters: m)
            XCTAssertEqual(gd.outHeight, h)
            XCTAssertEqual(gd.outWidth, w)
            let turned = Buffer(count: groups * 36 * m * c)
            weights.withUnsafeBufferPointer {
                Kernels.winogradWeights($0.baseAddress!, groups: groups, filters: m, channels: c, flipped: true, into: turned.pointer)
            }
            for threads in [1, 2, 3] {
                var output = prior
                let workspace = Buffer(count: Kernels.winogradWorkspaceCount(gd, filters: c, batch: batch, threads: threads))
                delta.withUnsafeBufferPointer { src in output.withUnsafeMutableBufferPointer { out in
                    Kernels.convolutionWinograd(gd, groups: groups, filters: c, batch: batch, transformed: turned.pointer, bias: nil,
                                                activation: .linear, accumulate: true, input: src.baseAddress!,
                                                output: out.baseAddress!, workspace: workspace.pointer, threads: threads)
                } }
                let worst = zip(output, expected).map { abs(Double($0) - $1) }.max() ?? .infinity
                let scale = expected.map { abs($0) }.max() ?? 1
                XCTAssertLessThan(worst, 5e-6 * max(1, scale), "pad \(pad), groups \(groups), \(threads) threads")
            }
        }
    }

    func testPlanCoversEveryTileRowOnce() {
        for (size, channels) in [(13, 512), (26, 256), (104, 64), (416, 32), (7, 8)] {
            let g = ConvGeometry(channels: channels, height: size, width: size, kernel: 3, strideX: 1, strideY: 1, pad: 1,
                                 dilation: 1, outHeight: size, outWidth: size)
            let plan = Kernels.winogradPlan(g, filters: channels)
            XCTAssertEqual(plan.tilesW, (size + 3) / 4)
            XCTAssertGreaterThanOrEqual(plan.blocks * plan.rowsPerBlock, plan.tilesH)
            XCTAssertLessThan((plan.blocks - 1) * plan.rowsPerBlock, plan.tilesH, "no empty block at \(size)")
        }
    }

    func testSmallImagesShareBlocksInABatch() {
        let g = ConvGeometry(channels: 512, height: 13, width: 13, kernel: 3, strideX: 1, strideY: 1, pad: 1, dilation: 1,
                             outHeight: 13, outWidth: 13)
        XCTAssertFalse(Kernels.winogradApplies(g, filters: 1024, batch: 4))
        XCTAssertTrue(Kernels.winogradApplies(g, filters: 1024, batch: 8))
        let plan = Kernels.winogradPlan(g, filters: 1024, batch: 8)
        XCTAssertEqual(plan.blocks, 1)
        XCTAssertEqual(plan.imagesPerBlock, 8, "128 tiles a block: 8 images of 16 tiles")
        XCTAssertEqual(plan.tilesPerBlock, 128)
        // 26×26 outputs (49 tiles): 3 images a block, 16 images in 6 blocks of at most 3.
        var medium = g
        (medium.height, medium.width, medium.outHeight, medium.outWidth) = (26, 26, 26, 26)
        XCTAssertEqual(Kernels.winogradPlan(medium, filters: 256, batch: 16).imagesPerBlock, 3)
        XCTAssertEqual(Kernels.winogradPlan(medium, filters: 256, batch: 1).imagesPerBlock, 1)
    }

    func testSmallChannelCountsAndStridesStayOnGemm() {
        let first = ConvGeometry(channels: 3, height: 416, width: 416, kernel: 3, strideX: 1, strideY: 1, pad: 1, dilation: 1,
                                 outHeight: 416, outWidth: 416)
        XCTAssertFalse(Kernels.winogradApplies(first, filters: 32))
        var strided = first
        strided.channels = 64
        strided.strideX = 2
        strided.strideY = 2
        XCTAssertFalse(Kernels.winogradApplies(strided, filters: 64))
        // 13×13 outputs are 16 tiles: eligible, but the plain GEMM is used.
        let small = ConvGeometry(channels: 512, height: 13, width: 13, kernel: 3, strideX: 1, strideY: 1, pad: 1, dilation: 1,
                                 outHeight: 13, outWidth: 13)
        XCTAssertTrue(Kernels.winogradEligible(small, filters: 512))
        XCTAssertFalse(Kernels.winogradApplies(small, filters: 512))
    }
}
