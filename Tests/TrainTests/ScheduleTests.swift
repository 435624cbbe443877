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
        SGD(momentum: 0.9, decay: 0.01).step(network: network, rate: 0.1, imagesPerIteration: 8, iteration: 1)
        // weights: U = 4 − 0.01·8·2 = 3.84; W = 2 + 0.1/8·3.84 = 2.048; U = 3.456
        XCTAssertEqual(conv.weights[0], 2.048, accuracy: 1e-6)
        XCTAssertEqual(conv.trainables[1].update[0], 3.456, accuracy: 1e-6)
        XCTAssertEqual(conv.biases[0], 1.05, accuracy: 1e-6)
        XCTAssertEqual(conv.trainables[0].update[0], 3.6, accuracy: 1e-6)
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
