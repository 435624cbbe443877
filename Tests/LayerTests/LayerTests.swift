import SwiftnetCore
import SwiftnetFormat
@testable import SwiftnetLayers
import XCTest

/// Exact small tensors for every layer kind, with expected values worked out by hand or from the definition.
final class PoolingLayerTests: XCTestCase {
    func testMaxpool2x2Stride2PadsRightAndBottom() throws {
        // 3×3 input, size 2 stride 2, padding 1 (default size−1, all of it after): out 2×2.
        let net = try makeNetwork("[net]\nwidth=3\nheight=3\nchannels=1\n[maxpool]\nsize=2\nstride=2\n")
        XCTAssertEqual(net.layers[0].outputShape, Shape(w: 2, h: 2, c: 1))
        let out = runForward(net, input: [1, 5, 2,
                                          7, 3, 9,
                                          4, 8, 6])
        XCTAssertEqual(out, [7, 9, 8, 6])
    }

    func testMaxpoolOddWidthRoundsUp() throws {
        let net = try makeNetwork("[net]\nwidth=13\nheight=13\nchannels=2\n[maxpool]\nsize=2\nstride=2\n")
        XCTAssertEqual(net.layers[0].outputShape, Shape(w: 7, h: 7, c: 2))
    }

    func testMaxpoolStride1Size2KeepsSizeAndPadsAfter() throws {
        let net = try makeNetwork("[net]\nwidth=3\nheight=2\nchannels=1\n[maxpool]\nsize=2\nstride=1\n")
        let out = runForward(net, input: [1, 5, 2,
                                          7, 3, 0])
        XCTAssertEqual(out, [7, 5, 2,
                             7, 3, 0])
    }

    /// SPP-style 5×5 stride-1 pooling agrees with a direct window scan ("same" padding 2/2).
    func testSPPWindowMatchesDirectScan() throws {
        let w = 9, h = 7, c = 3
        let net = try makeNetwork("[net]\nwidth=\(w)\nheight=\(h)\nchannels=\(c)\n[maxpool]\nsize=5\nstride=1\n")
        let input = randomValues(w * h * c, seed: 3)
        let out = runForward(net, input: input)
        var expected: [Float] = []
        for ch in 0..<c {
            for y in 0..<h {
                for x in 0..<w {
                    var m = -Float.infinity
                    for dy in -2...2 { for dx in -2...2 {
                        let yy = y + dy, xx = x + dx
                        if yy >= 0 && yy < h && xx >= 0 && xx < w { m = max(m, input[(ch * h + yy) * w + xx]) }
                    } }
                    expected.append(m)
                }
            }
        }
        XCTAssertEqual(out, expected)
    }

    func testMaxpoolDepth() throws {
        let net = try makeNetwork("[net]\nwidth=2\nheight=1\nchannels=4\n[maxpool]\nmaxpool_depth=1\nout_channels=2\n")
        // channel g takes the max of channels g and g+2.
        let out = runForward(net, input: [1, 8, 2, 3, 5, 0, -1, 9])
        XCTAssertEqual(out, [5, 8, 2, 9])
    }

    func testLocalAvgpoolCountsOnlyInImageTaps() throws {
        let net = try makeNetwork("[net]\nwidth=3\nheight=1\nchannels=1\n[local_avgpool]\nsize=2\nstride=1\n")
        let out = runForward(net, input: [2, 4, 9])
        XCTAssertEqual(out, [3, 6.5, 9])
    }

    func testGlobalAvgpool() throws {
        let net = try makeNetwork("[net]\nwidth=2\nheight=2\nchannels=2\n[avgpool]\n")
        XCTAssertEqual(runForward(net, input: [1, 2, 3, 6, -4, 0, 0, 8]), [3, 1])
    }
}

final class RoutingLayerTests: XCTestCase {
    let twoConvs = "[net]\nwidth=2\nheight=1\nchannels=2\n[activation]\nactivation=linear\n[upsample]\nstride=1\nscale=10\n"

    func testRouteConcatenatesInListedOrderAndGroupsTakeChannelHalves() throws {
        let net = try makeNetwork(twoConvs + "[route]\nlayers=-1,-2\n[route]\nlayers=-1\ngroups=2\ngroup_id=1\n")
        let input: [Float] = [1, 2, 3, 4]
        _ = runForward(net, input: input)
        XCTAssertEqual(output(of: net.layers[2]), [10, 20, 30, 40, 1, 2, 3, 4])
        XCTAssertEqual(net.layers[3].outputShape, Shape(w: 2, h: 1, c: 2))
        XCTAssertEqual(output(of: net.layers[3]), [1, 2, 3, 4])
    }

    func testRouteSizeMismatchIsAnError() {
        XCTAssertThrowsError(try makeNetwork("[net]\nwidth=4\nheight=4\nchannels=1\n[empty]\n[maxpool]\nsize=2\nstride=2\n[route]\nlayers=-1,-2\n")) { error in
            XCTAssertTrue("\(error)".hasPrefix("test.cfg:9: [route] (layer 2): route input layer 0 is 4×4 but layer 1 is 2×2"), "\(error)")
        }
    }

    func testShortcutSizeMismatchIsAnError() {
        XCTAssertThrowsError(try makeNetwork("[net]\nwidth=4\nheight=4\nchannels=1\n[empty]\n[maxpool]\nsize=2\nstride=2\n[shortcut]\nfrom=-2\n")) { error in
            XCTAssertTrue("\(error)".hasPrefix("test.cfg:9: [shortcut] (layer 2): shortcut from layer 0 (4×4×1) does not match the previous layer's 2×2"), "\(error)")
        }
    }

    func testShortcutAddsMatchingChannelsAndAppliesActivation() throws {
        // prev has 1 channel, `from` has 2: only the first channel is added.
        let cfg = "[net]\nwidth=2\nheight=1\nchannels=2\n[activation]\nactivation=linear\n[route]\nlayers=-1\ngroups=2\n[shortcut]\nfrom=-2\nactivation=leaky\n"
        let net = try makeNetwork(cfg)
        let out = runForward(net, input: [1, -5, 7, 8])
        XCTAssertEqual(out, [2, -1])
    }

    func testWeightedShortcutPerFeatureWithReluNormalisation() throws {
        let cfg = "[net]\nwidth=1\nheight=1\nchannels=1\n[activation]\nactivation=linear\n[upsample]\nstride=1\nscale=3\n[shortcut]\nfrom=-2\nweights_type=per_feature\nweights_normalization=relu\n"
        let net = try makeNetwork(cfg)
        let shortcut = try XCTUnwrap(net.layers[2] as? ShortcutLayer)
        shortcut.weights.set([1, 3])
        net.prepareForInference()
        let out = runForward(net, input: [2])
        // w = [1,3] / (4 + 0.0001); y = w0·prev(6) + w1·from(2)
        XCTAssertEqual(out[0], (1 * 6 + 3 * 2) / 4.0001, accuracy: 1e-6)
    }

    func testUpsampleNearestAndDownsampleSum() throws {
        let net = try makeNetwork("[net]\nwidth=2\nheight=1\nchannels=1\n[upsample]\nstride=2\nscale=0.5\n[upsample]\nstride=-2\n")
        _ = runForward(net, input: [2, 4])
        XCTAssertEqual(output(of: net.layers[0]), [1, 1, 2, 2, 1, 1, 2, 2])
        XCTAssertEqual(output(of: net.layers[1]), [4, 8])
    }

    func testReorg3dIsSpaceToDepthOffsetMajor() throws {
        let net = try makeNetwork("[net]\nwidth=2\nheight=2\nchannels=2\n[reorg3d]\nstride=2\n")
        XCTAssertEqual(net.layers[0].outputShape, Shape(w: 1, h: 1, c: 8))
        // channel k: c0 = k mod 2, offset o = k div 2 → (dy, dx) = (o div 2, o mod 2)
        let out = runForward(net, input: [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(out, [1, 5, 2, 6, 3, 7, 4, 8])
    }

    func testReorg3dReverseInvertsForward() throws {
        let net = try makeNetwork("[net]\nwidth=4\nheight=2\nchannels=3\n[reorg3d]\nstride=2\n[reorg3d]\nstride=2\nreverse=1\n")
        let input = randomValues(24, seed: 1)
        XCTAssertEqual(runForward(net, input: input), input)
    }

    func testLegacyReorgPermutation() throws {
        let c = 4, h = 2, w = 2, s = 2
        let net = try makeNetwork("[net]\nwidth=\(w)\nheight=\(h)\nchannels=\(c)\n[reorg]\nstride=\(s)\n")
        let input = (0..<16).map(Float.init)
        let out = runForward(net, input: input)
        // darknet's reorg_cpu with forward=0: out[i + w(j + h k)] = in[w2 + w·s(h2 + h·s·c2)].
        var expected = [Float](repeating: 0, count: 16)
        let outC = c / (s * s)
        for k in 0..<c { for j in 0..<h { for i in 0..<w {
            let c2 = k % outC, offset = k / outC
            let w2 = i * s + offset % s, h2 = j * s + offset / s
            expected[i + w * (j + h * k)] = input[w2 + w * s * (h2 + h * s * c2)]
        } } }
        XCTAssertEqual(out, expected)
        XCTAssertEqual(net.layers[0].outputShape, Shape(w: 1, h: 1, c: 16))
    }

    func testSamMultipliesElementwise() throws {
        let net = try makeNetwork("[net]\nwidth=2\nheight=1\nchannels=1\n[activation]\nactivation=linear\n[upsample]\nstride=1\nscale=2\n[sam]\nfrom=-2\n")
        XCTAssertEqual(runForward(net, input: [3, -1]), [18, 2])
    }

    func testScaleChannels() throws {
        let cfg = "[net]\nwidth=2\nheight=1\nchannels=2\n[activation]\nactivation=linear\n[avgpool]\n[scale_channels]\nfrom=-2\n"
        let net = try makeNetwork(cfg)
        // avg = [1.5, 5]; out[c] = avg[c]·x[c]
        XCTAssertEqual(runForward(net, input: [1, 2, 4, 6]), [1.5, 3, 20, 30])
    }
}

final class OtherLayerTests: XCTestCase {
    func testSoftmaxGroupsAndTemperature() throws {
        let net = try makeNetwork("[net]\nwidth=1\nheight=1\nchannels=4\n[softmax]\ngroups=2\ntemperature=2\n")
        let out = runForward(net, input: [0, 2, 1, 1])
        let e = 1 / (1 + Float(M_E))
        assertClose(out, [e, 1 - e, 0.5, 0.5], tolerance: 1e-7)
    }

    func testStandaloneBatchnorm() throws {
        let net = try makeNetwork("[net]\nwidth=1\nheight=1\nchannels=2\n[batchnorm]\n")
        let bn = try XCTUnwrap(net.layers[0] as? BatchNormLayer)
        bn.scales.set([2, 1])
        bn.rollingMean.set([1, 0])
        bn.rollingVariance.set([4, 1])
        bn.biases.set([0.5, -1])
        let out = runForward(net, input: [3, 2])
        XCTAssertEqual(out[0], 2 * (3 - 1) / (4 + 0.00001).squareRoot() + 0.5, accuracy: 1e-6)
        XCTAssertEqual(out[1], 2 / (1 + 0.00001).squareRoot() - 1, accuracy: 1e-6)
    }

    func testConnectedIsWxPlusBThenActivation() throws {
        let net = try makeNetwork("[net]\nwidth=1\nheight=1\nchannels=3\n[connected]\noutput=2\nactivation=relu\n")
        let fc = try XCTUnwrap(net.layers[0] as? ConnectedLayer)
        fc.weights.set([1, 2, 3, -1, -1, -1])
        fc.biases.set([0.5, 1])
        XCTAssertEqual(runForward(net, input: [1, 1, 2]), [9.5, 0])
    }

    func testIdentityLayers() throws {
        let net = try makeNetwork("[net]\nwidth=2\nheight=1\nchannels=1\n[dropout]\nprobability=0.5\n[empty]\n[silence]\n[cost]\n")
        XCTAssertEqual(runForward(net, input: [3, 4]), [3, 4])
        XCTAssertTrue(net.outputLayer is EmptyLayer, "the output layer is the last non-cost layer")
    }

    func testYoloActivatesAndScales() throws {
        let cfg = "[net]\nwidth=64\nheight=64\nchannels=7\n[yolo]\nclasses=2\nnum=2\nmask=1\nanchors=8,8, 16,32\nscale_x_y=1.2\n"
        let net = try makeNetwork(cfg)
        let input: [Float] = (0..<(7 * 64 * 64)).map { Float($0 % 7) * 0.1 - 0.3 }
        let out = runForward(net, input: input)
        let spatial = 64 * 64
        func sigma(_ x: Float) -> Float { 1 / (1 + expf(-x)) }
        let beta = Float(-0.5 * (Double(Float(1.2)) - 1))
        for i in [0, 17, spatial - 1] {
            XCTAssertEqual(out[i], sigma(input[i]) * 1.2 + beta, accuracy: 1e-6)                    // x
            XCTAssertEqual(out[2 * spatial + i], input[2 * spatial + i])                            // w raw
            XCTAssertEqual(out[4 * spatial + i], sigma(input[4 * spatial + i]), accuracy: 1e-6)     // objectness
            XCTAssertEqual(out[6 * spatial + i], sigma(input[6 * spatial + i]), accuracy: 1e-6)     // class 1
        }
    }

    func testYoloFilterMismatchNamesBothNumbers() {
        let cfg = "[net]\nwidth=8\nheight=8\nchannels=3\n[conv]\nfilters=20\nactivation=linear\n[yolo]\nclasses=2\nmask=0,1\nnum=2\n"
        XCTAssertThrowsError(try makeNetwork(cfg)) { error in
            XCTAssertTrue("\(error)".hasPrefix("test.cfg:8: [yolo] (layer 1): the previous layer has filters=20, but [yolo] with 2 anchors in mask and classes=2 needs filters=14"), "\(error)")
        }
    }

    func testYoloDecodeBox() throws {
        let cfg = "[net]\nwidth=4\nheight=2\nchannels=7\n[yolo]\nclasses=2\nnum=2\nmask=1\nanchors=1,1, 2,3\n"
        let net = try makeNetwork(cfg)
        var input = [Float](repeating: -10, count: 7 * 8)
        let cell = 5 // row 1, col 1
        input[0 * 8 + cell] = 0       // σ = 0.5
        input[1 * 8 + cell] = 0
        input[2 * 8 + cell] = logf(2)
        input[3 * 8 + cell] = 0
        input[4 * 8 + cell] = 3       // objectness
        input[5 * 8 + cell] = 3
        _ = runForward(net, input: input)
        let yolo = try XCTUnwrap(net.layers[0] as? YoloLayer)
        let dets = yolo.detections(netWidth: 16, netHeight: 12, threshold: 0.5)
        XCTAssertEqual(dets.count, 1)
        let d = try XCTUnwrap(dets.first)
        XCTAssertEqual(d.box.x, 1.5 / 4, accuracy: 1e-6)
        XCTAssertEqual(d.box.y, 1.5 / 2, accuracy: 1e-6)
        XCTAssertEqual(d.box.w, 2 * 2 / 16, accuracy: 1e-6)
        XCTAssertEqual(d.box.h, 3 / 12, accuracy: 1e-6)
        let o = 1 / (1 + expf(-3))
        XCTAssertEqual(d.probabilities[0], o * o, accuracy: 1e-6)
        XCTAssertEqual(d.probabilities[1], 0, "o·σ(−10) is below the threshold")
    }

    /// new_coords=1 (scaled-YOLOv4): the input is already logistic; x, y get scale_x_y only, sizes are (2t)²·anchor.
    func testYoloNewCoordsDecodeBox() throws {
        let cfg = "[net]\nwidth=4\nheight=2\nchannels=7\n[yolo]\nclasses=2\nnum=2\nmask=1\nanchors=1,1, 2,3\nnew_coords=1\nscale_x_y=2\n"
        let net = try makeNetwork(cfg)
        var input = [Float](repeating: 0, count: 7 * 8)
        let cell = 5 // row 1, col 1
        for (e, v) in [Float(0.6), 0.25, 0.5, 0.75, 0.9, 0.8, 0.3].enumerated() { input[e * 8 + cell] = v }
        let out = runForward(net, input: input)
        XCTAssertEqual(out[4 * 8 + cell], 0.9, "objectness is not activated again")
        XCTAssertEqual(out[0 * 8 + cell], 0.6 * 2 - 0.5, accuracy: 1e-6)
        let yolo = try XCTUnwrap(net.layers[0] as? YoloLayer)
        let dets = yolo.detections(netWidth: 16, netHeight: 12, threshold: 0.5)
        XCTAssertEqual(dets.count, 1)
        let d = try XCTUnwrap(dets.first)
        XCTAssertEqual(d.box.x, (1 + 0.7) / 4, accuracy: 1e-6)
        XCTAssertEqual(d.box.y, (1 + 0) / 2, accuracy: 1e-6)
        XCTAssertEqual(d.box.w, 4 * 0.25 * 2 / 16, accuracy: 1e-6)
        XCTAssertEqual(d.box.h, 4 * 0.5625 * 3 / 12, accuracy: 1e-6)
        XCTAssertEqual(d.probabilities[0], 0.72, accuracy: 1e-6)
        XCTAssertEqual(d.probabilities[1], 0, "0.9·0.3 is below the threshold")
    }

    func testLetterboxCorrectionUsesUnflooredOffset() {
        var dets = [Detection(box: Box(x: 0.5, y: 0.5, w: 0.5, h: 0.5), objectness: 1, probabilities: [1])]
        // 300×100 image into 416×416: new size 416×138 (int division), offset (416−138)/2 = 139 unfloored.
        correctBoxes(&dets, imageWidth: 300, imageHeight: 100, netWidth: 416, netHeight: 416, letterbox: true)
        XCTAssertEqual(dets[0].box.y, Float((0.5 - 278.0 / 2 / 416) / (138.0 / 416)), accuracy: 1e-6)
        XCTAssertEqual(dets[0].box.h, 0.5 * 416 / 138, accuracy: 1e-5)
        XCTAssertEqual(dets[0].box.x, 0.5, accuracy: 1e-7)
    }
}

/// `[yolo] delta_normalizer` scales the deltas passed back (darknet's GPU build).
final class YoloDeltaNormalizerTests: XCTestCase {
    func testDeltasGoBackScaled() throws {
        for (normalizer, scale) in [("", Float(1)), ("delta_normalizer=0.25\n", Float(0.25))] {
            let net = try makeNetwork("[net]\nwidth=2\nheight=2\nchannels=6\n[activation]\nactivation=linear\n[yolo]\nclasses=1\nnum=1\nmask=0\nanchors=1,1\n" + normalizer)
            try net.prepareForTraining()
            let yolo = try XCTUnwrap(net.layers[1] as? YoloLayer)
            let values = randomValues(yolo.delta.count, seed: 3)
            yolo.delta.set(values)
            net.layers[0].delta.fill(0)
            yolo.backward(BackwardContext(input: net.layers[0].output.pointer, inputDelta: net.layers[0].delta.pointer,
                                          batch: 1, workspace: net.input.pointer))
            assertClose(net.layers[0].delta.array, values.map { $0 * scale }, tolerance: 1e-7)
        }
    }
}
