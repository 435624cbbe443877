import Foundation
import SwiftnetCore
import XCTest

/// The activation kernels (the ones training runs: wide-vector on this CPU, Swift vectors otherwise) against
/// double-precision references written from the definitions.
final class ActivationAccuracyTests: XCTestCase {
    /// mish(x) = x·tanh(log(1+eˣ)) in double.
    static func mish(_ x: Double) -> Double { x * Foundation.tanh(log1p(exp(x))) }

    /// mish′ as the Mish paper's eq. 4 writes it: eˣ·ω/δ², ω = 4(x+1) + 4e²ˣ + e³ˣ + eˣ(4x+6), δ = 2eˣ + e²ˣ + 2.
    static func mishDerivative(_ x: Double) -> Double {
        let e = exp(x)
        let omega = 4 * (x + 1) + 4 * e * e + e * e * e + e * (4 * x + 6)
        let delta = 2 * e + e * e + 2
        return e * omega / (delta * delta)
    }

    func testMishAndItsDerivativeToFloatPrecision() {
        // 40,001 points over [−20, 20], a count that is not a multiple of the vector width (the tail is checked too).
        let x = (0...40_000).map { Float(-20 + Double($0) * 0.001) }
        let (f, df) = ActivationFunction.activation(.mish).values(x)
        var worstF = 0.0, worstDF = 0.0
        for i in x.indices {
            let xd = Double(x[i])
            let rf = Self.mish(xd), rdf = Self.mishDerivative(xd)
            if rf != 0 { worstF = max(worstF, abs(Double(f[i]) - rf) / abs(rf)) }
            // mish′ crosses zero near −1.1924, where no float computation has a small relative error; there the bound
            // is taken relative to 0.01 (an absolute 5e-8).
            worstDF = max(worstDF, abs(Double(df[i]) - rdf) / max(abs(rdf), 0.01))
        }
        XCTAssertLessThanOrEqual(worstF, 5e-7)
        XCTAssertLessThanOrEqual(worstDF, 5e-6)
        XCTAssertEqual(f[20_000], 0)
        XCTAssertEqual(df[20_000], 0.6, accuracy: 1e-6) // mish′(0) = tanh(log 2) = 0.6
    }

    func testSoftplusThresholdIsDarknets() {
        let x: [Float] = [-30, -20.5, -19.5, -1, 0, 1, 19.5, 20.5, 30]
        let (f, df) = ActivationFunction.softplus.values(x)
        // Beyond ±20 darknet returns x and eˣ.
        XCTAssertEqual(f[7], 20.5)
        XCTAssertEqual(f[8], 30)
        XCTAssertEqual(Double(f[0]), exp(-30), accuracy: exp(-30) * 1e-6)
        XCTAssertEqual(Double(f[1]), exp(-20.5), accuracy: exp(-20.5) * 1e-6)
        for i in [2, 3, 4, 5, 6] {
            let r = log1p(exp(Double(x[i])))
            XCTAssertEqual(Double(f[i]), r, accuracy: r * 5e-7, "softplus(\(x[i]))")
            let s = 1 / (1 + exp(-Double(x[i])))
            XCTAssertEqual(Double(df[i]), s, accuracy: s * 5e-7, "softplus′(\(x[i]))")
        }
        // mish takes x above 20 as it is (its softplus is x there) and has slope 1.
        let (m, dm) = ActivationFunction.activation(.mish).values([25, 40, 1000])
        XCTAssertEqual(m, [25, 40, 1000])
        XCTAssertEqual(dm, [1, 1, 1])
    }

    func testEveryActivationAgainstItsDefinition() throws {
        func logistic(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
        let references: [String: (f: (Double) -> Double, df: (Double) -> Double)] = [
            "linear": ({ $0 }, { _ in 1 }),
            "logistic": (logistic, { logistic($0) * (1 - logistic($0)) }),
            "loggy": ({ 2 * logistic($0) - 1 }, { 2 * logistic($0) * (1 - logistic($0)) }),
            "relu": ({ max($0, 0) }, { $0 > 0 ? 1 : 0 }),
            "relu6": ({ min(max($0, 0), 6) }, { $0 > 0 && $0 < 6 ? 1 : 0 }),
            "elu": ({ $0 >= 0 ? $0 : exp($0) - 1 }, { $0 >= 0 ? 1 : exp($0) }),
            "selu": ({ $0 >= 0 ? 1.0507 * $0 : 1.0507 * 1.6732 * (exp($0) - 1) }, { $0 >= 0 ? 1.0507 : 1.0507 * 1.6732 * exp($0) }),
            "gelu": ({ x in 0.5 * x * (1 + Foundation.tanh(0.797885 * x + 0.035677 * x * x * x)) },
                     { x in
                         let t = Foundation.tanh(0.797885 * x + 0.035677 * x * x * x)
                         return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (0.797885 + 3 * 0.035677 * x * x)
                     }),
            "relie": ({ $0 > 0 ? $0 : 0.01 * $0 }, { $0 > 0 ? 1 : 0.01 }),
            "ramp": ({ max($0, 0) + 0.1 * $0 }, { ($0 > 0 ? 1 : 0) + 0.1 }),
            "leaky": ({ $0 > 0 ? $0 : 0.1 * $0 }, { $0 > 0 ? 1 : 0.1 }),
            "revleaky": ({ $0 > 0 ? $0 : 0.1 * $0 }, { $0 > 0 ? 1 : 0.1 }),
            "tanh": ({ Foundation.tanh($0) }, { 1 - Foundation.tanh($0) * Foundation.tanh($0) }),
            "plse": ({ $0 < -4 ? 0.01 * ($0 + 4) : ($0 > 4 ? 0.01 * ($0 - 4) + 1 : 0.125 * $0 + 0.5) },
                     { $0 < -4 || $0 > 4 ? 0.01 : 0.125 }),
            "hardtan": ({ min(max($0, -1), 1) }, { $0 > -1 && $0 < 1 ? 1 : 0 }),
            "lhtan": ({ $0 < 0 ? 0.001 * $0 : ($0 > 1 ? 0.001 * ($0 - 1) + 1 : $0) }, { $0 > 0 && $0 < 1 ? 1 : 0.001 }),
            "swish": ({ $0 * logistic($0) }, { logistic($0) + $0 * logistic($0) * (1 - logistic($0)) }),
            "mish": (Self.mish, Self.mishDerivative),
            "hard_mish": ({ $0 > 0 ? $0 : ($0 > -2 ? $0 * $0 / 2 + $0 : 0) }, { $0 > 0 ? 1 : ($0 > -2 ? $0 + 1 : 0) }),
            "softplus": ({ log1p(exp($0)) }, logistic),
        ]
        // An offset grid, so no point sits on a kink (0, ±1, ±2, ±4, 6).
        let x = (0..<2001).map { Float(-10.0025 + Double($0) * 0.01) }
        for function in ActivationFunction.all where function.description != "stair" {
            let reference = try XCTUnwrap(references[function.description], "no reference for \(function)")
            let (f, df) = function.values(x)
            for i in x.indices {
                let xd = Double(x[i])
                // Float precision: a few ulps of the value, or of 1 where terms of size 1 cancel (tanh, gelu near 0).
                XCTAssertEqual(Double(f[i]), reference.f(xd), accuracy: 1e-6 * max(1, abs(reference.f(xd))), "\(function)(\(x[i]))")
                XCTAssertEqual(Double(df[i]), reference.df(xd), accuracy: 2e-6 * max(1, abs(reference.df(xd))), "\(function)′(\(x[i]))")
            }
        }
    }

    func testTheBenchmarkTimesEveryFunctionAndRatiosReLU() {
        let timings = ActivationBenchmark.run(functions: [.activation(.relu), .activation(.mish)], count: 1 << 16, runs: 3, warmup: 1, threads: 1)
        XCTAssertEqual(timings.map(\.function), [.activation(.relu), .activation(.mish)])
        XCTAssertEqual(timings[0].forwardRatio, 1)
        XCTAssertEqual(timings[0].backwardRatio, 1)
        XCTAssertEqual(timings[1].forwardRatio, timings[1].forwardMicroseconds / timings[0].forwardMicroseconds, accuracy: 1e-12)
        XCTAssertTrue(timings.allSatisfy { $0.forwardMicroseconds > 0 && $0.backwardMicroseconds > 0 && $0.forwardStd >= 0 })
    }
}
