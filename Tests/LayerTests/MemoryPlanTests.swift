import Foundation
import SwiftnetCore
import SwiftnetFormat
@testable import SwiftnetLayers
import TestSupport
import XCTest

/// Liveness memory planning at inference: the heads' outputs equal an unplanned network's bit for bit, with far
/// less activation memory, also after changing the batch.
final class MemoryPlanTests: XCTestCase {
    func compare(cfg: String, weights: String?, width: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let config = try NetworkConfig(contentsOf: cfg)
        let plain = try Network(config: config, batch: 1, width: width, height: width)
        let planned = try Network(config: config, batch: 1, width: width, height: width)
        for network in [plain, planned] {
            if let weights { _ = try network.loadWeights(path: weights) } else { network.randomizeParameters(seed: 4) }
            network.prepareForInference()
        }
        let before = planned.activationBytes
        planned.planMemory()
        XCTAssertTrue(planned.memoryPlanned)
        XCTAssertLessThan(Double(planned.activationBytes), 0.7 * Double(before), "\(cfg): \(before) → \(planned.activationBytes) bytes", file: file, line: line)
        XCTAssertEqual(plain.activationBytes, before)

        for batch in [1, 2] {
            plain.setBatch(batch)
            planned.setBatch(batch)
            var generator = SeededRandom(seed: UInt64(7 + batch))
            let input = (0..<plain.input.count).map { _ in generator.nextFloat() }
            var heads: [[[Float]]] = []
            for network in [plain, planned] {
                input.withUnsafeBufferPointer { network.input.pointer.update(from: $0.baseAddress!, count: input.count) }
                network.forward()
                let kept = network.layers.filter { $0 is DetectionLayer || $0.index == network.outputLayer.index }
                heads.append(kept.map { Array(UnsafeBufferPointer(start: $0.output.pointer, count: batch * $0.outputShape.count)) })
            }
            XCTAssertFalse(heads[0].isEmpty)
            XCTAssertEqual(heads[0], heads[1], "\(cfg), batch \(batch)", file: file, line: line)
        }
    }

    func testYolov3TinyRealWeights() throws {
        try compare(cfg: try SharedData.path("models/yolov3-tiny-coco/yolov3-tiny.cfg"),
                    weights: try SharedData.path("models/yolov3-tiny-coco/yolov3-tiny.weights"), width: 416)
    }

    func testYolov4Tiny10cRealWeights() throws {
        try compare(cfg: try SharedData.path("models/yolov4-tiny-10c/yolov4-tiny-10c.cfg"),
                    weights: try SharedData.path("models/yolov4-tiny-10c/yolov4-tiny-final.weights"), width: 416)
    }

    /// CSP stages, SPP and PANet: routes and shortcuts reaching far back.
    func testYolov4PacspMishRandomWeights() throws {
        try compare(cfg: SharedData.projectRoot.appendingPathComponent("cfg/yolov4-pacsp-mish.cfg").path, weights: nil, width: 160)
    }
}
