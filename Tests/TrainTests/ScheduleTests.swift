import SwiftnetCore
import SwiftnetFormat
import SwiftnetLayers
@testable import SwiftnetTrain
import XCTest

final class ScheduleTests: XCTestCase {
    func net(_ options: String) throws -> NetConfig {
        try NetworkConfig(text: "[net]\nwidth=8\nheight=8\nchannels=1\nlearning_rate=0.01\n" + options + "\n[empty]\n", path: "t.cfg").net
    }

    func testBurnInThenSteps() throws {
        var s = LearningRateSchedule(net: try net("burn_in=100\npower=4\npolicy=steps\nsteps=200,300\nscales=.1,.5\nmax_batches=400"))
        XCTAssertEqual(s.rate(at: 1), 0.01 * powf(0.01, 4), accuracy: 1e-12)
        XCTAssertEqual(s.rate(at: 50), 0.01 * 0.0625, accuracy: 1e-9)
        XCTAssertEqual(s.rate(at: 100), 0.01)
        XCTAssertEqual(s.rate(at: 199), 0.01)
        XCTAssertEqual(s.rate(at: 200), 0.001, accuracy: 1e-9, "the scale applies at the step itself")
        XCTAssertEqual(s.rate(at: 300), 0.0005, accuracy: 1e-9)
    }

    func testOtherPolicies() throws {
        var step = LearningRateSchedule(net: try net("policy=step\nstep=10\nscale=0.5"))
        XCTAssertEqual(step.rate(at: 25), 0.0025, accuracy: 1e-9)
        var exp = LearningRateSchedule(net: try net("policy=exp\ngamma=0.9"))
        XCTAssertEqual(exp.rate(at: 2), 0.0081, accuracy: 1e-9)
        var poly = LearningRateSchedule(net: try net("policy=poly\npower=2\nmax_batches=100"))
        XCTAssertEqual(poly.rate(at: 50), 0.0025, accuracy: 1e-9)
        var sigmoid = LearningRateSchedule(net: try net("policy=sigmoid\ngamma=1\nstep=10"))
        XCTAssertEqual(sigmoid.rate(at: 10), 0.005, accuracy: 1e-9)
        var random = LearningRateSchedule(net: try net("policy=random\npower=1"))
        let r = random.rate(at: 5)
        XCTAssertTrue(r >= 0 && r <= 0.01)
        // sgdr: cycle 10 then 20; at t = 10 the first cycle is still used (strict <).
        var sgdr = LearningRateSchedule(net: try net("policy=sgdr\nsgdr_cycle=10\nsgdr_mult=2\nlearning_rate_min=0"))
        XCTAssertEqual(sgdr.rate(at: 5), 0.005, accuracy: 1e-6)
        XCTAssertEqual(sgdr.rate(at: 10), 0, accuracy: 1e-6)
        XCTAssertEqual(sgdr.rate(at: 20), 0.005, accuracy: 1e-6)
    }

    /// `poly` decays to 0 at the run's end, which `--max-batches` may move past the cfg's max_batches; never NaN.
    func testPolyUsesTheEffectiveEnd() throws {
        var poly = LearningRateSchedule(net: try net("policy=poly\npower=0.5\nmax_batches=5"), maxBatches: 10)
        XCTAssertEqual(poly.rate(at: 5), 0.01 * sqrtf(0.5), accuracy: 1e-9)
        XCTAssertEqual(poly.rate(at: 10), 0)
        XCTAssertEqual(poly.rate(at: 11), 0, "past the end: 0, not NaN")
    }

    func testCheckpointBaseIsDarknetsBasecfg() {
        XCTAssertEqual(Trainer.checkpointBase(cfgPath: "cfg/yolov4-csp.cfg"), "yolov4-csp")
        XCTAssertEqual(Trainer.checkpointBase(cfgPath: "/x/my.model.cfg"), "my")
        XCTAssertEqual(Trainer.checkpointBase(cfgPath: "noext"), "noext")
        XCTAssertEqual(Trainer.checkpointBase(cfgPath: "d/.hidden.cfg"), ".hidden")
    }

    /// One SGD step on known numbers: U ← U − λB·W; W ← W + (η/B)·U; U ← μ·U; no decay on biases.
    func testSGDStep() throws {
        let network = try Network(config: NetworkConfig(text: "[net]\nwidth=1\nheight=1\nchannels=1\n[conv]\nfilters=1\nsize=1\nactivation=linear\n", path: "t.cfg"))
        try network.prepareForTraining()
        let conv = try XCTUnwrap(network.layers[0] as? ConvolutionalLayer)
        conv.weights[0] = 2
        conv.biases[0] = 1
        conv.trainables[1].update[0] = 4   // weights
        conv.trainables[0].update[0] = 4   // biases
        Optimizer(momentum: 0.9, decay: 0.01).step(network: network, rate: 0.1, imagesPerIteration: 8, iteration: 1)
        // weights: U = 4 − 0.01·8·2 = 3.84; W = 2 + 0.1/8·3.84 = 2.048; U = 3.456
        XCTAssertEqual(conv.weights[0], 2.048, accuracy: 1e-6)
        XCTAssertEqual(conv.trainables[1].update[0], 3.456, accuracy: 1e-6)
        XCTAssertEqual(conv.biases[0], 1.05, accuracy: 1e-6)
        XCTAssertEqual(conv.trainables[0].update[0], 3.6, accuracy: 1e-6)
    }
}

/// darknet's Adam (GPU build) on numbers worked out by hand: β₁ 0.9, β₂ 0.999, ε 1e-6, η 0.01, λ 0.1, B 4.
final class AdamTests: XCTestCase {
    func testAdamStepsOnConvolutionsAndSGDElsewhere() throws {
        let text = "[net]\nwidth=1\nheight=1\nchannels=1\nadam=1\nmomentum=0.9\ndecay=0.1\n[conv]\nfilters=1\nsize=1\nactivation=linear\n[connected]\noutput=1\nactivation=linear\n"
        let config = try NetworkConfig(text: text, path: "t.cfg")
        XCTAssertTrue(config.net.adam)
        XCTAssertEqual(config.net.b1, 0.9)
        XCTAssertEqual(config.net.b2, 0.999)
        XCTAssertEqual(config.net.eps, 0.000001)
        let network = try Network(config: config)
        try network.prepareForTraining()
        let conv = try XCTUnwrap(network.layers[0] as? ConvolutionalLayer)
        let connected = try XCTUnwrap(network.layers[1] as? ConnectedLayer)
        let weights = try XCTUnwrap(conv.trainables.first { $0.kind == .weights })
        let biases = try XCTUnwrap(conv.trainables.first { $0.kind == .biases })
        let dense = try XCTUnwrap(connected.trainables.first { $0.kind == .weights })
        weights.value[0] = 0.5
        weights.update[0] = 2
        biases.value[0] = 1
        biases.update[0] = 0.5
        dense.value[0] = 1
        dense.update[0] = 1
        let optimizer = Optimizer(net: config.net)
        optimizer.step(network: network, rate: 0.01, imagesPerIteration: 4, iteration: 1)
        // weights, t = 1: d = 2 − 0.1·4·0.5 = 1.8; m = 0.18, v = 0.00324; m̂ = 1.8, v̂ = 3.24;
        // W = 0.5 + 0.01·1.8/(1.8 + 1e-6) = 0.50999999444.
        XCTAssertEqual(Double(weights.value[0]), 0.5099999944, accuracy: 1e-7)
        // biases get decay too under Adam: d = 0.5 − 0.4 = 0.1; m̂ = 0.1, v̂ = 0.01; B = 1 + 0.01·0.1/0.100001 = 1.0099999.
        XCTAssertEqual(Double(biases.value[0]), 1.0099999, accuracy: 1e-7)
        XCTAssertEqual(weights.update[0], 0, "the gradient is consumed")
        XCTAssertEqual(biases.update[0], 0)
        // [connected] keeps SGD: U = 1 − 0.4·1 = 0.6; W = 1 + 0.01/4·0.6 = 1.0015; U = 0.9·0.6.
        XCTAssertEqual(Double(dense.value[0]), 1.0015, accuracy: 1e-7)
        XCTAssertEqual(Double(dense.update[0]), 0.54, accuracy: 1e-7)

        // t = 2 with d = −1: g = −1 − 0.4·0.50999999 = −1.204; m = 0.162 − 0.1204 = 0.0416;
        // v = 0.999·0.00324 + 0.001·1.449616 = 0.004686376; m̂ = 0.0416/0.19, v̂ = v/0.001999; W = 0.51142997.
        weights.update[0] = -1
        optimizer.step(network: network, rate: 0.01, imagesPerIteration: 4, iteration: 2)
        XCTAssertEqual(Double(weights.value[0]), 0.5114299656, accuracy: 2e-7)
    }

    /// B1, B2 and eps are read only with adam=1, as in darknet: otherwise they are unused keys.
    func testAdamKeysWithoutAdamAreUnused() throws {
        let config = try NetworkConfig(text: "[net]\nwidth=1\nheight=1\nchannels=1\nB1=0.5\n[conv]\nactivation=linear\n", path: "t.cfg")
        XCTAssertEqual(config.diagnostics.map(\.message), ["unused key 'B1' in [net]"])
    }

    /// burnin_update=N: no update while iteration < N·burn_in; the gradients accumulate until the first update.
    func testBurninUpdateHoldsTheLayerThenAppliesTheAccumulatedGradient() throws {
        let network = try Network(config: NetworkConfig(text: "[net]\nwidth=1\nheight=1\nchannels=1\n[conv]\nfilters=1\nsize=1\nactivation=linear\nburnin_update=2\n", path: "t.cfg"))
        try network.prepareForTraining()
        let conv = try XCTUnwrap(network.layers[0] as? ConvolutionalLayer)
        let weights = try XCTUnwrap(conv.trainables.first { $0.kind == .weights })
        weights.value[0] = 1
        weights.update[0] = 4
        let optimizer = Optimizer(momentum: 0, decay: 0, burnIn: 3)
        optimizer.step(network: network, rate: 1, imagesPerIteration: 4, iteration: 5)   // 2·3 > 5: held
        XCTAssertEqual(weights.value[0], 1)
        XCTAssertEqual(weights.update[0], 4)
        weights.update[0] += 4   // the next iteration's gradient adds up
        optimizer.step(network: network, rate: 1, imagesPerIteration: 4, iteration: 6)   // 6 is not < 6: updated
        XCTAssertEqual(weights.value[0], 3, "1 + (1/4)·8")
    }
}

final class EMATests: XCTestCase {
    func testEMAAveragesAndApplies() throws {
        let network = try Network(config: NetworkConfig(text: "[net]\nwidth=1\nheight=1\nchannels=1\n[conv]\nfilters=1\nsize=1\nactivation=linear\n", path: "t.cfg"))
        try network.prepareForTraining()
        let conv = try XCTUnwrap(network.layers[0] as? ConvolutionalLayer)
        conv.weights[0] = 1
        let ema = ParameterEMA(alpha: 0.5)
        ema.initialize(from: network)
        conv.weights[0] = 3
        ema.update(from: network)   // 0.5·1 + 0.5·3 = 2
        conv.weights[0] = 5
        ema.update(from: network)   // 0.5·2 + 0.5·5 = 3.5
        ema.apply(to: network)
        XCTAssertEqual(conv.weights[0], 3.5)
    }
}
