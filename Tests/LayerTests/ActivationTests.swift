import SwiftnetCore
import SwiftnetFormat
import XCTest

final class ActivationTests: XCTestCase {
    func testScalarFormsAtKnownPoints() {
        XCTAssertEqual(Activation.leaky.apply(-2), -0.2)
        XCTAssertEqual(Activation.leaky.apply(3), 3)
        XCTAssertEqual(Activation.relu6.apply(7), 6)
        XCTAssertEqual(Activation.relie.apply(-1), -0.01)
        XCTAssertEqual(Activation.ramp.apply(2), 2.2, accuracy: 1e-6)
        XCTAssertEqual(Activation.ramp.apply(-2), -0.2, accuracy: 1e-6)
        XCTAssertEqual(Activation.hardtan.apply(-3), -1)
        XCTAssertEqual(Activation.lhtan.apply(2), 1.001, accuracy: 1e-6)
        XCTAssertEqual(Activation.plse.apply(5), 1.01, accuracy: 1e-6)
        XCTAssertEqual(Activation.plse.apply(0), 0.5)
        XCTAssertEqual(Activation.stair.apply(2.5), 1)
        XCTAssertEqual(Activation.stair.apply(3.5), 1.5, "odd floor: (x − n) + floor(x/2)")
        XCTAssertEqual(Activation.hardMish.apply(-1), -0.5)
        XCTAssertEqual(Activation.hardMish.apply(-3), 0)
        XCTAssertEqual(Activation.elu.apply(-1), expf(-1) - 1, accuracy: 1e-7)
        XCTAssertEqual(Activation.selu.apply(1), 1.0507, accuracy: 1e-6)
        XCTAssertEqual(Activation.logistic.apply(0), 0.5)
        XCTAssertEqual(Activation.tanh.apply(1), tanhf(1), accuracy: 1e-6)
        XCTAssertEqual(Activation.swish.apply(1), 1 / (1 + expf(-1)), accuracy: 1e-7)
        XCTAssertEqual(Activation.gelu.apply(1), 0.841192, accuracy: 1e-5)
        // mish: x·tanh(ln(1+eˣ)); threshold 20 → identity above.
        XCTAssertEqual(Activation.mish.apply(1), 0.865098, accuracy: 1e-6)
        XCTAssertEqual(Activation.mish.apply(25), 25)
        XCTAssertEqual(Activation.mish.apply(-1), -0.303401, accuracy: 1e-6)
    }

    /// The vectorised kernels agree with the exact scalar forms over a wide range (incl. the threshold regions).
    func testVectorisedActivationsMatchScalarForms() {
        let xs: [Float] = stride(from: Float(-40), through: 40, by: 0.0137).map { $0 } + [-87, -20.5, -20, 20, 20.5, 88, 0]
        for (activation, tolerance) in [(Activation.mish, Float(2e-6)), (.swish, 2e-6), (.logistic, 2e-7), (.leaky, 0), (.relu, 0)] {
            var values = xs
            values.withUnsafeMutableBufferPointer { Kernels.activate($0.baseAddress!, count: $0.count, activation) }
            for (x, y) in zip(xs, values) {
                let reference = activation.apply(x)
                XCTAssertLessThanOrEqual(abs(y - reference), tolerance * max(1, abs(reference)), "\(activation) at \(x): \(y) vs \(reference)")
            }
        }
    }

    func testVectorExpIsAccurate() {
        for x in stride(from: Float(-80), through: 80, by: 0.37) {
            let v = vexp(FloatV(repeating: x))[0]
            XCTAssertEqual(v, expf(x), accuracy: 3e-7 * expf(x), "\(x)")
        }
    }

    func testNormalizeChannels() {
        var x: [Float] = [1, -1, 3, 2] // 2 channels × 2 pixels
        x.withUnsafeMutableBufferPointer { Kernels.normalizeChannels($0.baseAddress!, channels: 2, spatial: 2, .normalizeChannels) }
        XCTAssertEqual(x[0], 1 / 4.0001, accuracy: 1e-7)
        XCTAssertEqual(x[2], 3 / 4.0001, accuracy: 1e-7)
        XCTAssertEqual(x[1], 0)
        XCTAssertEqual(x[3], 2 / 2.0001, accuracy: 1e-7)
    }

    /// The vectorised mish and swish gradients agree with the scalar derivatives.
    func testVectorisedGradients() {
        let xs: [Float] = stride(from: Float(-30), through: 30, by: 0.011).map { $0 } + [-20, 20, 21, 0]
        for activation in [Activation.mish, .swish] {
            var delta = [Float](repeating: 1, count: xs.count)
            xs.withUnsafeBufferPointer { x in delta.withUnsafeMutableBufferPointer {
                Kernels.activationGradient(x.baseAddress!, delta: $0.baseAddress!, batch: 1, channels: 1, spatial: xs.count, activation)
            } }
            for (x, g) in zip(xs, delta) {
                XCTAssertEqual(g, activation.derivative(x), accuracy: 3e-6 * max(1, abs(x)), "\(activation) at \(x)")
            }
        }
    }
}
