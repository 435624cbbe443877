import Foundation
import SwiftnetCore
import SwiftnetFormat
@testable import SwiftnetLayers
import XCTest

/// DropBlock (`[dropout] dropblock=1`) as darknet's GPU build runs it.
final class DropBlockTests: XCTestCase {
    func network(_ options: String, size: Int = 8, channels: Int = 3, batch: Int = 2) throws -> (Network, DropoutLayer) {
        let cfg = "[net]\nwidth=\(size)\nheight=\(size)\nchannels=\(channels)\n[dropout]\n\(options)\n"
        let net = try makeNetwork(cfg, batch: batch)
        try net.prepareForTraining()
        return (net, try XCTUnwrap(net.layers[0] as? DropoutLayer))
    }

    func testParsingFollowsDarknet() throws {
        func config(_ text: String) throws -> DropoutConfig {
            let c = try NetworkConfig(text: "[net]\nwidth=8\nheight=8\nchannels=1\n[dropout]\n" + text, path: "t.cfg")
            guard case .dropout(let d) = c.layers[0].config else { throw XCTSkip("not a dropout") }
            return d
        }
        XCTAssertEqual(try config("dropblock=1\n").dropblockSizeAbs, 7, "no size given: 7 cells")
        let both = try config("dropblock=1\ndropblock_size_abs=3.9\ndropblock_size_rel=0.5\n")
        XCTAssertEqual(both.dropblockSizeAbs, 3, "truncated like darknet's (int) cast")
        XCTAssertEqual(both.dropblockSizeRel, 0, "abs wins over rel")
        XCTAssertEqual(try config("probability=0.1\n").probability, 0.1, accuracy: 1e-7)
    }

    /// Probability and block side grow linearly to their cfg values over the first 85 % of the run.
    func testSchedule() throws {
        let (_, abs) = try network("probability=0.4\ndropblock=1\ndropblock_size_abs=5")
        XCTAssertEqual(abs.dropBlockSchedule(TrainingProgress(iteration: 0, maxBatches: 1000)).probability, 0)
        XCTAssertEqual(abs.dropBlockSchedule(TrainingProgress(iteration: 0, maxBatches: 1000)).size, 1)
        let half = abs.dropBlockSchedule(TrainingProgress(iteration: 425, maxBatches: 1000))
        XCTAssertEqual(half.probability, 0.2, accuracy: 1e-6)
        XCTAssertEqual(half.size, 2, "(int)(5 × 0.5)")
        let end = abs.dropBlockSchedule(TrainingProgress(iteration: 900, maxBatches: 1000))
        XCTAssertEqual(end.probability, 0.4, accuracy: 1e-6)
        XCTAssertEqual(end.size, 5)
        let (_, rel) = try network("probability=0.4\ndropblock=1\ndropblock_size_rel=0.5", size: 8)
        XCTAssertEqual(rel.dropBlockSchedule(TrainingProgress(iteration: 1000, maxBatches: 1000)).size, 4, "half of an 8-cell map")
        let (_, big) = try network("probability=0.4\ndropblock=1\ndropblock_size_abs=20", size: 8)
        XCTAssertEqual(big.dropBlockSchedule(TrainingProgress(iteration: 1000, maxBatches: 1000)).size, 8, "clamped to the map")
    }

    /// Each image and channel loses at most one square block; the rest of the image is scaled by
    /// 1/(1 − dropped share); at inference nothing changes.
    func testMaskIsOneBlockPerChannelAndRescalesEachImage() throws {
        let (net, layer) = try network("probability=0.9\ndropblock=1\ndropblock_size_abs=3", size: 8, channels: 4)
        let n = net.input.count
        net.input.set([Float](repeating: 1, count: n))
        net.forwardTraining(truth: TrainingTruth(), progress: TrainingProgress(iteration: 100, maxBatches: 100))
        let out = layer.output.array
        var totalBlocks = 0
        for b in 0..<2 {
            let image = Array(out[(b * 256)..<((b + 1) * 256)])
            var droppedCells = 0
            for c in 0..<4 {
                let plane = Array(image[(c * 64)..<((c + 1) * 64)])
                let zeros = (0..<64).filter { plane[$0] == 0 }
                XCTAssertTrue(zeros.isEmpty || zeros.count == 9, "one 3×3 block or none, got \(zeros.count)")
                if let first = zeros.first {
                    let (x0, y0) = (first % 8, first / 8)
                    XCTAssertEqual(Set(zeros), Set((0..<9).map { (y0 + $0 / 3) * 8 + x0 + $0 % 3 }), "a square block")
                    totalBlocks += 1
                }
                droppedCells += zeros.count
            }
            let scale = Float(1) / (1 - Float(droppedCells) / 256)
            for v in image where v != 0 { XCTAssertEqual(v, scale, accuracy: 1e-6) }
        }
        XCTAssertGreaterThan(totalBlocks, 4, "p = 0.9 drops a block in most channels")
        net.forward()
        XCTAssertEqual(layer.output.array, [Float](repeating: 1, count: n), "identity at inference")
    }
}
