import SwiftnetCore
import SwiftnetFormat
@testable import SwiftnetLayers
import XCTest

final class ConvolutionalTests: XCTestCase {
    func check(width: Int, height: Int, channels: Int, filters: Int, size: Int, stride: Int, strideY: Int? = nil, pad: Bool,
               padding: Int = 0, dilation: Int = 1, groups: Int = 1, activation: Activation, batchNorm: Bool, batch: Int = 1) throws {
        var cfg = "[net]\nwidth=\(width)\nheight=\(height)\nchannels=\(channels)\n[convolutional]\nfilters=\(filters)\nsize=\(size)\n"
        cfg += "stride=\(stride)\n" + (strideY.map { "stride_y=\($0)\n" } ?? "")
        cfg += "pad=\(pad ? 1 : 0)\npadding=\(padding)\ndilation=\(dilation)\ngroups=\(groups)\nactivation=\(activation.rawValue)\n"
        cfg += "batch_normalize=\(batchNorm ? 1 : 0)\n"
        let net = try makeNetwork(cfg, batch: batch)
        let conv = try XCTUnwrap(net.layers[0] as? ConvolutionalLayer)
        conv.weights.set(randomValues(conv.weights.count, seed: 1, -0.5, 0.5))
        conv.biases.set(randomValues(filters, seed: 2))
        if batchNorm {
            conv.scales.set(randomValues(filters, seed: 3, 0.5, 1.5))
            conv.rollingMean.set(randomValues(filters, seed: 4, -0.2, 0.2))
            conv.rollingVariance.set(randomValues(filters, seed: 5, 0.5, 2))
        }
        let input = randomValues(batch * width * height * channels, seed: 6)
        let got = runForward(net, input: input)
        let out = conv.outputShape
        var expected: [Float] = []
        for b in 0..<batch {
            let image = Array(input[(b * width * height * channels)..<((b + 1) * width * height * channels)])
            var z = naiveConvolution(input: image, c: channels, h: height, w: width, weights: conv.weights.array,
                                     bias: batchNorm ? [Float](repeating: 0, count: filters) : conv.biases.array, filters: filters,
                                     size: size, strideX: stride, strideY: strideY ?? stride, pad: pad ? size / 2 : padding,
                                     dilation: dilation, groups: groups, outH: out.h, outW: out.w)
            for f in 0..<filters where batchNorm {
                for i in 0..<(out.w * out.h) {
                    let j = f * out.w * out.h + i
                    z[j] = conv.scales[f] * (z[j] - conv.rollingMean[f]) / (conv.rollingVariance[f] + 0.00001).squareRoot() + conv.biases[f]
                }
            }
            if activation == .normalizeChannelsSoftmax {
                // Per pixel: softmax across channels with 0.0001 added to the denominator (spec §1.9).
                let spatial = out.w * out.h
                for i in 0..<spatial {
                    let e = (0..<filters).map { expf(z[$0 * spatial + i]) }
                    let sum = e.reduce(0.0001, +)
                    for f in 0..<filters { z[f * spatial + i] = e[f] / sum }
                }
                expected += z
            } else {
                expected += z.map { activation.apply($0) }
            }
        }
        assertClose(got, expected, tolerance: 2e-5, "\(cfg)")
    }

    func testPlain3x3SamePadding() throws {
        try check(width: 7, height: 5, channels: 3, filters: 4, size: 3, stride: 1, pad: true, activation: .linear, batchNorm: false)
    }

    func testStride2WithBatchNormAndLeaky() throws {
        try check(width: 9, height: 8, channels: 2, filters: 5, size: 3, stride: 2, pad: true, activation: .leaky, batchNorm: true)
    }

    func testGroupsDilationAndMish() throws {
        try check(width: 10, height: 9, channels: 4, filters: 6, size: 3, stride: 1, pad: true, dilation: 2, groups: 2, activation: .mish, batchNorm: true)
    }

    func testAsymmetricStridesAndExplicitPadding() throws {
        try check(width: 11, height: 7, channels: 3, filters: 2, size: 3, stride: 2, strideY: 1, pad: false, padding: 2, activation: .logistic, batchNorm: false)
    }

    func testPointwiseAndBatchOfTwo() throws {
        try check(width: 6, height: 6, channels: 5, filters: 3, size: 1, stride: 1, pad: true, activation: .swish, batchNorm: true, batch: 2)
    }

    /// Large enough for the tiled, multi-threaded path (more output columns than one tile).
    func testTiledPathMatchesReference() throws {
        try check(width: 70, height: 66, channels: 3, filters: 8, size: 3, stride: 1, pad: true, activation: .mish, batchNorm: true)
        try check(width: 64, height: 70, channels: 6, filters: 4, size: 1, stride: 1, pad: true, activation: .leaky, batchNorm: false)
        try check(width: 130, height: 70, channels: 2, filters: 3, size: 3, stride: 2, pad: true, activation: .relu, batchNorm: false)
    }

    func testChannelwiseActivation() throws {
        try check(width: 5, height: 4, channels: 2, filters: 3, size: 1, stride: 1, pad: false, activation: .normalizeChannelsSoftmax, batchNorm: false)
    }

    func testKernelLargerThanInputIsAShapeError() throws {
        XCTAssertThrowsError(try makeNetwork("[net]\nwidth=2\nheight=2\nchannels=1\n[conv]\nsize=5\nactivation=linear\n")) { error in
            XCTAssertTrue("\(error)".hasPrefix("test.cfg:5: [conv] (layer 0): a 5×5 kernel does not fit"), "\(error)")
        }
    }

    /// Folding batch-norm in double precision (darknet's fuse) agrees with the unfolded formula.
    func testFoldedBatchNormMatchesUnfolded() throws {
        let net = try makeNetwork("[net]\nwidth=4\nheight=4\nchannels=2\n[conv]\nfilters=3\nsize=3\npad=1\nbatch_normalize=1\nactivation=linear\n")
        let conv = try XCTUnwrap(net.layers[0] as? ConvolutionalLayer)
        conv.weights.set(randomValues(conv.weights.count, seed: 9))
        conv.scales.set([0.5, 2, -1])
        conv.rollingMean.set([0.1, -0.3, 0])
        conv.rollingVariance.set([1, 4, 0.25])
        conv.biases.set([0, 1, -2])
        let input = randomValues(32, seed: 10)
        let folded = runForward(net, input: input)
        let raw = naiveConvolution(input: input, c: 2, h: 4, w: 4, weights: conv.weights.array, bias: [0, 0, 0], filters: 3, size: 3,
                                   strideX: 1, strideY: 1, pad: 1, dilation: 1, groups: 1, outH: 4, outW: 4)
        let expected = raw.enumerated().map { i, z -> Float in
            let f = i / 16
            return conv.scales[f] * (z - conv.rollingMean[f]) / (conv.rollingVariance[f] + 0.00001).squareRoot() + conv.biases[f]
        }
        assertClose(folded, expected, tolerance: 1e-5)
    }
}
