import Foundation
import SwiftnetCore
import SwiftnetFormat
@testable import SwiftnetLayers
import TestSupport
import XCTest

/// The thread count belongs to a network's plan: fixed when it is built, its scratch sized for it, unaffected by a
/// later change of the process default; networks with different counts run side by side with the same results.
final class ExecutionPlanTests: XCTestCase {
    func testNetworksKeepTheirThreadCountAndAgree() throws {
        let cfg = SharedData.projectRoot.appendingPathComponent("cfg/shapes.cfg").path
        let weights = SharedData.projectRoot.appendingPathComponent("data/shapes.weights").path
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        Parallel.threads = 1
        let one = try Network(cfgPath: cfg, batch: 2)
        let four = try Network(cfgPath: cfg, batch: 2, threads: 4)
        XCTAssertEqual(one.threads, 1)
        XCTAssertEqual(four.threads, 4)
        // Per-worker im2col tiles: four workers need more scratch than one.
        XCTAssertGreaterThan(four.workspaceFloats, one.workspaceFloats)
        for network in [one, four] { _ = try network.loadWeights(path: weights) }

        var generator = SeededRandom(seed: 9)
        let input = (0..<one.input.count).map { _ in generator.nextFloat() }
        // A default raised after building must not reach the built networks (it once indexed past their scratch).
        Parallel.threads = 16
        var outputs: [[Float]] = []
        for network in [one, four] {
            input.withUnsafeBufferPointer { network.input.pointer.update(from: $0.baseAddress!, count: input.count) }
            network.forward()
            let last = network.layers[network.layers.count - 1]
            outputs.append(Array(UnsafeBufferPointer(start: last.output.pointer, count: 2 * last.outputShape.count)))
        }
        XCTAssertEqual(four.threads, 4)
        let worst = zip(outputs[0], outputs[1]).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThan(worst, 1e-4)
        XCTAssertTrue(outputs[0].contains { $0 != 0 })
    }
}
