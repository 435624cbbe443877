import Foundation
import SwiftnetFormat
import SwiftnetTrain
import TestSupport
import XCTest

/// The training loop reports typed events: one per iteration, evaluations with the task's metric, checkpoints; the
/// console lines are their messages.
final class TrainingEventTests: XCTestCase {
    func testADetectorRunReportsIterationsEvaluationsAndCheckpoints() throws {
        let dir = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let made = try CLI.run(["dataset", "shapes", "--out", dir + "/data", "--count", "16", "--size", "96"])
        XCTAssertEqual(made.status, 0, made.stderr)
        var options = TrainOptions(cfgPath: SharedData.projectRoot.appendingPathComponent("cfg/shapes.cfg").path, dataPath: dir + "/data/shapes.data")
        options.overrides = try ["net.batch=4", "net.width=96", "net.height=96", "net.burn_in=0"].map { try CfgOverride(parsing: $0) }
        options.maxBatches = 3
        options.map = true
        options.mapInterval = 2
        options.backup = dir + "/backup"
        var events: [TrainingEvent] = []
        let trainer = try Trainer(options: options, events: { events.append($0) })
        XCTAssertFalse(trainer.isClassifier)
        XCTAssertEqual(trainer.task.metricName, "mean average precision (mAP@0.50)")
        let summary = try trainer.run()

        let iterations = events.compactMap { event -> TrainingEvent.IterationReport? in
            if case .iteration(let r) = event { return r }
            return nil
        }
        XCTAssertEqual(iterations.map(\.iteration), [1, 2, 3])
        XCTAssertTrue(iterations.allSatisfy { $0.loss.isFinite && $0.loss > 0 && $0.maxBatches == 3 })
        XCTAssertEqual(iterations.last?.loss, summary.lastLoss)
        XCTAssertEqual(iterations.last?.averageLoss, summary.averageLoss)
        // darknet's running average: the first loss, then 0.9·avg + 0.1·loss.
        XCTAssertEqual(iterations[1].averageLoss, 0.9 * iterations[0].loss + 0.1 * iterations[1].loss, accuracy: 1e-4)

        let evaluations = events.compactMap { event -> (Float, String?)? in
            if case let .evaluation(metric, value, _, saved) = event, metric == trainer.task.metricName { return (value, saved) }
            return nil
        }
        XCTAssertEqual(evaluations.count, 2)   // at iteration 2 and at the last
        XCTAssertEqual(evaluations.first?.1, dir + "/backup/shapes_best.weights")
        XCTAssertTrue(evaluations.allSatisfy { (0...1).contains($0.0) })
        XCTAssertEqual(summary.lastMAP, evaluations.last?.0)

        // The console line of an iteration is darknet's.
        let line = try XCTUnwrap(events.first { if case .iteration = $0 { return true } else { return false } }?.message)
        XCTAssertTrue(line.hasPrefix("     1/3: loss "), line)
        XCTAssertTrue(FileManager.default.fileExists(atPath: summary.weightsPath))
    }
}
