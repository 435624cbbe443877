import Foundation
import SwiftnetCore
import SwiftnetFormat
@testable import SwiftnetLayers
import XCTest

/// Backward passes against central finite differences. Each network is `[activation] linear` (whose delta is the
/// gradient with respect to the input), the layers under test, and a `[cost]` layer: L = ½·Σ(t − x)², so the deltas
/// are −∂L/∂· and the update buffers accumulate −∂L/∂θ.
final class GradientTests: XCTestCase {
    struct Setup {
        var net: Network
        var input: [Float]
        var truth: [Float]
        /// Where training stands (DropBlock's schedule).
        var progress = TrainingProgress()
    }

    func make(_ body: String, width: Int, height: Int, channels: Int, batch: Int = 2, seed: UInt64 = 1, positive: Bool = false) throws -> Setup {
        let cfg = "[net]\nwidth=\(width)\nheight=\(height)\nchannels=\(channels)\n[activation]\nactivation=linear\n" + body + "\n[cost]\n"
        let net = try makeNetwork(cfg, batch: batch)
        try net.prepareForTraining()
        var rng = SeededRandom(seed: seed)
        for layer in net.layers {
            for t in layer.trainables {
                for i in 0..<t.value.count {
                    switch t.kind {
                    case .scales: t.value[i] = rng.uniform(0.5, 1.5)
                    case .biases: t.value[i] = rng.uniform(-0.3, 0.3)
                    case .weights: t.value[i] = positive ? rng.uniform(0.1, 0.5) : rng.uniform(-0.5, 0.5)
                    }
                }
            }
        }
        let input = (0..<(batch * width * height * channels)).map { _ in positive ? rng.uniform(0.1, 1) : rng.uniform(-1, 1) }
        let outCount = batch * net.layers[net.layers.count - 1].outputShape.count
        let truth = (0..<outCount).map { _ in rng.uniform(-1, 1) }
        return Setup(net: net, input: input, truth: truth)
    }

    func loss(_ s: Setup) -> Double {
        s.net.input.set(s.input)
        for case let dropout as DropoutLayer in s.net.layers { dropout.seed(42) }
        s.net.forwardTraining(truth: TrainingTruth(vectors: s.truth), progress: s.progress)
        let cost = s.net.layers[s.net.layers.count - 1]
        return 0.5 * cost.output.array.reduce(0.0) { $0 + Double($1) }
    }

    /// Compares analytic −∂L/∂input and −∂L/∂θ with central differences at up to `samples` indices per array.
    func check(_ s: Setup, _ label: String = "", samples: Int = 12, epsilon: Float = 1e-2, tolerance: Double = 2e-2, file: StaticString = #filePath, line: UInt = #line) {
        _ = loss(s)
        for layer in s.net.layers { for t in layer.trainables { t.update.fill(0) } }
        s.net.backward()
        if ProcessInfo.processInfo.environment["SN_DEBUG"] != nil {
            for layer in s.net.layers { print(layer.index, layer.typeName, layer.output.array.prefix(8), layer.trainables.map { $0.update.array.prefix(4) }) }
        }
        let inputGradient = s.net.layers[0].delta.array
        var rng = SeededRandom(seed: 99)
        var input = s
        for _ in 0..<samples {
            let i = Int(rng.next() % UInt64(s.input.count))
            let original = input.input[i]
            input.input[i] = original + epsilon
            let plus = loss(input)
            input.input[i] = original - epsilon
            let minus = loss(input)
            input.input[i] = original
            let numeric = -(plus - minus) / (2 * Double(epsilon))
            XCTAssertEqual(Double(inputGradient[i]), numeric, accuracy: tolerance * max(1, abs(numeric)), "\(label) input[\(i)]", file: file, line: line)
        }
        let analytic = s.net.layers.flatMap { layer in layer.trainables.map { ($0, $0.update.array, layer.index) } }
        for (t, updates, layerIndex) in analytic {
            for _ in 0..<min(samples, t.value.count) {
                let i = Int(rng.next() % UInt64(t.value.count))
                let original = t.value[i]
                t.value[i] = original + epsilon
                let plus = loss(s)
                t.value[i] = original - epsilon
                let minus = loss(s)
                t.value[i] = original
                let numeric = -(plus - minus) / (2 * Double(epsilon))
                XCTAssertEqual(Double(updates[i]), numeric, accuracy: tolerance * max(1, abs(numeric)),
                               "\(label) layer \(layerIndex) \(t.name)[\(i)]", file: file, line: line)
            }
        }
    }

    func testConvolutionWithBatchNormAndEachActivation() throws {
        for activation in ["linear", "logistic", "leaky", "mish", "swish", "relu", "tanh", "elu", "selu", "hard_mish", "gelu", "relie", "ramp", "loggy", "plse", "lhtan"] {
            let s = try make("[convolutional]\nfilters=3\nsize=3\npad=1\nbatch_normalize=1\nactivation=\(activation)\n", width: 5, height: 4, channels: 2)
            // Kinked activations (selu, lhtan, relu, …) need a small step so that few pre-activations cross 0.
            check(s, activation, epsilon: 2e-3)
        }
    }

    func testConvolutionGroupsDilationStrideNoBN() throws {
        check(try make("[convolutional]\nfilters=4\nsize=3\npad=1\ndilation=2\ngroups=2\nactivation=leaky\n", width: 7, height: 6, channels: 4))
        check(try make("[convolutional]\nfilters=3\nsize=3\nstride=2\npad=1\nactivation=mish\n", width: 7, height: 6, channels: 2))
        check(try make("[convolutional]\nfilters=3\nsize=1\nactivation=logistic\n", width: 4, height: 3, channels: 3))
    }

    /// 3×3 stride-1 layers with ≥ 8 channels, ≥ 8 filters and ≥ 36 output tiles train with Winograd: forward and
    /// input delta (padding 1, 0 and 2, and groups). Finite differences on the linear layer (at this size float
    /// rounding through batch-norm blurs them); with batch-norm and leaky, the same gradients as im2col + GEMM.
    func testWinogradConvolution() throws {
        for (pad, groups, channels, size) in [(1, 1, 8, 24), (0, 1, 9, 26), (2, 1, 8, 22), (1, 2, 16, 24)] {
            let layer = "[convolutional]\nfilters=\(8 * groups)\nsize=3\npad=\(pad)\ngroups=\(groups)\n"
            let s = try make(layer + "activation=linear\n", width: size, height: size, channels: channels)
            let conv = try XCTUnwrap(s.net.layers[1] as? ConvolutionalLayer)
            XCTAssertTrue(conv.usesWinograd, "pad \(pad)")
            XCTAssertTrue(Kernels.winogradInputDeltaApplies(conv.geometry, filters: 8), "pad \(pad)")
            check(s, "winograd pad \(pad) groups \(groups)", samples: 8)

            let text = "[net]\nwidth=\(size)\nheight=\(size)\nchannels=\(channels)\n[activation]\nactivation=linear\n" + layer
                + "batch_normalize=1\nactivation=leaky\n[cost]\n"
            var results: [[[Float]]] = []
            for winograd in [true, false] {
                let net = try Network(config: NetworkConfig(text: text, path: "test.cfg"), batch: 2, winograd: winograd)
                try net.prepareForTraining()
                XCTAssertEqual((net.layers[1] as? ConvolutionalLayer)?.usesWinograd, winograd)
                net.randomizeParameters(seed: 3)
                net.input.set(randomValues(net.input.count, seed: 4))
                net.forwardTraining(truth: TrainingTruth(vectors: randomValues(2 * net.layers[2].outputShape.count, seed: 5)))
                net.backward()
                results.append([net.layers[1].output.array, net.layers[0].delta.array] + net.layers[1].trainables.map(\.update.array))
            }
            for (index, (a, b)) in zip(results[0], results[1]).enumerated() {
                let scale = b.map { abs($0) }.max() ?? 1
                let worst = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
                XCTAssertLessThan(worst, 1e-5 * max(1, scale), "pad \(pad) groups \(groups): array \(index) (output, input delta, updates)")
            }
        }
    }

    func testChannelwiseActivations() throws {
        for activation in ["normalize_channels_softmax", "normalize_channels_softmax_maxval"] {
            check(try make("[convolutional]\nfilters=3\nsize=1\nactivation=\(activation)\n", width: 3, height: 2, channels: 2), activation)
        }
        // normalize_channels is nearly discontinuous where a channel crosses 0 (ε = 0.0001 in the denominator):
        // keep every pre-activation positive so finite differences stay on one side of the kinks.
        check(try make("[convolutional]\nfilters=3\nsize=1\nactivation=normalize_channels\n", width: 3, height: 2, channels: 2, positive: true),
              "normalize_channels")
    }

    func testConnectedWithAndWithoutBatchNorm() throws {
        check(try make("[connected]\noutput=4\nactivation=leaky\n", width: 2, height: 2, channels: 2, batch: 3))
        check(try make("[connected]\noutput=3\nbatch_normalize=1\nactivation=logistic\n", width: 2, height: 1, channels: 3, batch: 4))
    }

    func testPooling() throws {
        check(try make("[maxpool]\nsize=2\nstride=2\n", width: 5, height: 4, channels: 2))
        check(try make("[maxpool]\nsize=3\nstride=1\n", width: 4, height: 4, channels: 2))
        check(try make("[maxpool]\nmaxpool_depth=1\nout_channels=2\n", width: 3, height: 2, channels: 4))
        check(try make("[local_avgpool]\nsize=2\nstride=1\n", width: 4, height: 3, channels: 2))
        check(try make("[avgpool]\n", width: 3, height: 3, channels: 3))
    }

    func testRoutingLayers() throws {
        check(try make("[convolutional]\nfilters=4\nsize=1\nactivation=leaky\n[route]\nlayers=-1\ngroups=2\ngroup_id=1\n[route]\nlayers=-1,-2\n",
                       width: 3, height: 3, channels: 2))
        check(try make("[convolutional]\nfilters=3\nsize=1\nactivation=linear\n[convolutional]\nfilters=2\nsize=1\nactivation=linear\n[shortcut]\nfrom=-2\nactivation=leaky\n",
                       width: 3, height: 2, channels: 2))
        check(try make("[upsample]\nstride=2\nscale=0.5\n[upsample]\nstride=-2\nscale=2\n", width: 3, height: 2, channels: 2))
        check(try make("[reorg3d]\nstride=2\n", width: 4, height: 2, channels: 2))
        check(try make("[reorg3d]\nstride=2\n[reorg3d]\nstride=2\nreverse=1\n", width: 4, height: 4, channels: 1))
        check(try make("[reorg]\nstride=2\n", width: 4, height: 2, channels: 4))
    }

    func testWeightedShortcuts() throws {
        for (type, norm) in [("per_feature", "none"), ("per_channel", "none"), ("per_feature", "softmax"), ("per_channel", "relu")] {
            check(try make("[convolutional]\nfilters=2\nsize=1\nactivation=linear\n[shortcut]\nfrom=-2\nweights_type=\(type)\nweights_normalization=\(norm)\nactivation=linear\n",
                           width: 3, height: 2, channels: 2))
        }
    }

    func testAttentionLayers() throws {
        check(try make("[convolutional]\nfilters=2\nsize=1\nactivation=logistic\n[sam]\nfrom=-2\n", width: 3, height: 2, channels: 2))
        check(try make("[avgpool]\n[scale_channels]\nfrom=-2\nactivation=linear\n", width: 3, height: 2, channels: 3))
        check(try make("[convolutional]\nfilters=1\nsize=1\nactivation=logistic\n[scale_channels]\nfrom=-2\nscale_wh=1\n", width: 3, height: 2, channels: 3))
    }

    func testBatchnormActivationDropoutEmpty() throws {
        check(try make("[batchnorm]\n", width: 3, height: 2, channels: 2, batch: 3))
        check(try make("[activation]\nactivation=mish\n[empty]\n", width: 3, height: 2, channels: 2))
        check(try make("[dropout]\nprobability=0.3\n", width: 4, height: 2, channels: 2))
        // DropBlock at the end of its ramp: 3×3 blocks on an 8×8 map, the per-image rescaling included.
        var block = try make("[dropout]\nprobability=0.9\ndropblock=1\ndropblock_size_abs=3\n", width: 8, height: 8, channels: 3)
        block.progress = TrainingProgress(iteration: 100, maxBatches: 100)
        check(block, "dropblock")
    }

    /// `[softmax]` as the loss layer with label-smoothed targets: delta = t − p = −∂/∂logits of −Σ t·ln p
    /// (the targets sum to 1). darknet's reported cost sums −ln p over non-zero targets instead.
    func testSoftmaxCrossEntropyWithLabelSmoothing() throws {
        let k = 5, batch = 2
        let net = try makeNetwork("[net]\nwidth=1\nheight=1\nchannels=\(k)\n[activation]\nactivation=linear\n[softmax]\n", batch: batch)
        try net.prepareForTraining()
        let eps: Float = 0.1
        var truth = [Float](repeating: eps / Float(k - 1), count: batch * k)
        truth[2] = 1 - eps
        truth[k + 4] = 1 - eps
        var input = randomValues(batch * k, seed: 5, -2, 2)
        func ce() -> Double {
            net.input.set(input)
            net.forwardTraining(truth: TrainingTruth(vectors: truth))
            let p = net.layers[1].output.array
            return zip(truth, p).reduce(0) { $0 - Double($1.0) * log(Double($1.1)) }
        }
        _ = ce()
        let softmax = net.layers[1].output.array
        XCTAssertEqual(Double(net.layers[1].cost ?? 0), softmax.reduce(0) { $0 - log(Double($1)) }, accuracy: 1e-4,
                       "darknet's cost: −ln p over every non-zero target")
        net.backward()
        let analytic = net.layers[0].delta.array
        for i in 0..<input.count {
            let original = input[i]
            input[i] = original + 1e-2
            let plus = ce()
            input[i] = original - 1e-2
            let minus = ce()
            input[i] = original
            XCTAssertEqual(Double(analytic[i]), -(plus - minus) / 2e-2, accuracy: 1e-3)
        }
    }
}
