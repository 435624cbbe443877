import Foundation
import SwiftnetCore
import SwiftnetFormat
@testable import SwiftnetLayers
import TestSupport
import XCTest

/// darknet's `[softmax]` training output, delta and cost on the oracle's planted cases (with and without label
/// smoothing).
final class SoftmaxLossOracleTests: XCTestCase {
    func testSoftmaxCasesMatchDarknet() throws {
        for name in ["softmax_plain", "softmax_ls"] {
            let dir = try SharedData.path("oracle/train/cases/" + name)
            let input = try NPY.read(path: dir + "/input.npy")
            let truth = try NPY.read(path: dir + "/truth_vec.npy")
            let k = input.shape[1]
            let net = try Network(config: NetworkConfig(text: "[net]\nwidth=1\nheight=1\nchannels=\(k)\n[softmax]\n", path: "t.cfg"), batch: 2)
            try net.prepareForTraining()
            for (i, v) in input.values.enumerated() { net.input[i] = v }
            net.forwardTraining(truth: TrainingTruth(vectors: truth.values))
            let softmax = try XCTUnwrap(net.layers[0] as? SoftmaxLayer)
            let output = try NPY.read(path: dir + "/output_1.npy").values
            let delta = try NPY.read(path: dir + "/delta_1.npy").values
            for (a, b) in zip(softmax.output.array, output) { XCTAssertEqual(a, b, accuracy: 1e-6 + 1e-5 * abs(b), name) }
            for (a, b) in zip(softmax.delta.array, delta) { XCTAssertEqual(a, b, accuracy: 1e-6 + 1e-5 * abs(b), name) }
            let result = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/result.json"))) as! [String: Any]
            let cost = (result["loss"] as! [String: Double])["cost"]!
            XCTAssertEqual(Double(softmax.cost ?? 0), cost, accuracy: 1e-4 * cost, name)
        }
    }
}
