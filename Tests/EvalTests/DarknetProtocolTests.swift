import Foundation
import SwiftnetCore
import XCTest
@testable import SwiftnetEval

/// darknet-specific behaviour through the in-memory API and the `-out` JSON loader.
final class DarknetProtocolTests: XCTestCase {
    private func singleImage(_ labels: [(Int, Box)], classes: [String] = ["a", "b"]) throws -> GroundTruth {
        let objects = labels.enumerated().map { i, l in
            GroundTruthObject(classIndex: l.0, relative: l.1, pixel: nil, area: 0, isCrowd: false, annotationId: i + 1)
        }
        return try GroundTruth(categories: classes.enumerated().map { Category(id: $0, name: $1) },
                               images: [EvalImage(id: 1, path: "img/1.jpg", size: nil)], objects: [objects])
    }

    /// TP/FP at the threshold follow array order, the ranking follows probability.
    func testOperatingPointUsesArrayOrderAndRankingUsesProbability() throws {
        let truth = Box(x: 0.5, y: 0.5, w: 0.4, h: 0.4)
        let gt = try singleImage([(0, truth)])
        let a = Box(x: 0.5, y: 0.5, w: 0.4, h: 0.38)     // IoU 0.95, lower probability, first in array
        let b = Box(x: 0.52, y: 0.5, w: 0.4, h: 0.4)     // IoU ~0.905, higher probability
        var dets = DetectionSet(for: gt)
        dets.append([NetworkDetection(box: a, probabilities: [0.3, 0]), NetworkDetection(box: b, probabilities: [0.9, 0])],
                    imageIndex: 0, groundTruth: gt)
        let r = try DarknetEvaluator.evaluate(groundTruth: gt, detections: dets)
        XCTAssertEqual(r.atConfThreshold.truePositives, 1)
        XCTAssertEqual(r.atConfThreshold.falsePositives, 1)
        XCTAssertEqual(r.atConfThreshold.averageIoU, a.iou(truth) / 2)   // the array-first entry is the TP
        // Ranking: b (0.9) claims the GT, a (0.3) is an FP with its best GT taken.
        XCTAssertEqual(r.classes[0].truePositives, 1)
        XCTAssertEqual(r.classes[0].falsePositives, 1)
        XCTAssertEqual(r.classes[0].averagePrecision, 1)
        XCTAssertEqual(r.diagnostics.fpBestTruthTaken, 1)
        XCTAssertEqual(r.diagnostics.fpBestTruthTakenOtherFree, 0)
    }

    /// One box with two non-zero class probabilities gives two entries, in class order; a
    /// probability at or below the 0.005 floor gives none.
    func testMultiClassBoxAndConfidenceFloor() throws {
        let box = Box(x: 0.25, y: 0.25, w: 0.2, h: 0.2)
        let gt = try singleImage([(1, box)], classes: ["a", "b", "c"])
        var dets = DetectionSet(for: gt)
        dets.append([NetworkDetection(box: box, probabilities: [0.6, 0.4, 0.005])], imageIndex: 0, groundTruth: gt)
        XCTAssertEqual(dets.perImage[0].map(\.classIndex), [0, 1, 2])
        let r = try DarknetEvaluator.evaluate(groundTruth: gt, detections: dets)
        XCTAssertEqual(r.detectionsCount, 2)
        XCTAssertEqual(r.classes.map(\.detectionCount), [1, 1, 0])
        XCTAssertEqual(r.classes.map(\.averagePrecision), [0, 1, 0])
        XCTAssertEqual(r.meanAveragePrecision, 1.0 / 3)     // classes without GT count in the mean
        XCTAssertEqual(r.atConfThreshold.truePositives, 1)
        XCTAssertEqual(r.atConfThreshold.falsePositives, 1)
    }

    /// IoU equal to the threshold is not a match (strict `>`), and the first of two equal-IoU
    /// labels wins.
    func testStrictThresholdAndFirstLabelWinsTies() throws {
        let truth = Box(x: 0.5, y: 0.5, w: 0.5, h: 0.5)
        let half = Box(x: 0.5, y: 0.375, w: 0.5, h: 0.25)   // IoU exactly 0.5
        let gt = try singleImage([(0, truth), (0, truth)])
        var dets = DetectionSet(for: gt)
        dets.append([NetworkDetection(box: half, probabilities: [0.9, 0]),
                     NetworkDetection(box: truth, probabilities: [0.8, 0]),
                     NetworkDetection(box: truth, probabilities: [0.7, 0])], imageIndex: 0, groundTruth: gt)
        let r = try DarknetEvaluator.evaluate(groundTruth: gt, detections: dets)
        XCTAssertEqual(half.iou(truth), 0.5)
        XCTAssertEqual(r.diagnostics.iouExactlyThreshold, 2)
        // Both exact boxes pick label 0: the second is an FP although label 1 is free.
        XCTAssertEqual(r.classes[0].truePositives, 1)
        XCTAssertEqual(r.classes[0].falsePositives, 2)
        XCTAssertEqual(r.diagnostics.fpBestTruthTakenOtherFree, 1)
        let loose = try DarknetEvaluator.evaluate(groundTruth: gt, detections: dets,
                                                  options: DarknetOptions(iouThreshold: 0.49))
        XCTAssertEqual(loose.classes[0].truePositives, 1)   // still no fallback to the free label
    }

    /// The in-memory API and the COCO results file give the same darknet numbers.
    func testInMemoryDetectionsMatchTheFileRoute() throws {
        guard let dir = try TestSupport.oracleCases().first(where: { $0.lastPathComponent.hasPrefix("03") }) else {
            throw XCTSkip("oracle case 03 not found")
        }
        let c = try CaseChecks(dir)
        let gt = try c.cocoGroundTruth()
        let fromFile = try c.detections(gt)
        var live = DetectionSet(for: gt)
        for (k, list) in fromFile.perImage.enumerated() {
            let network = list.compactMap { d -> NetworkDetection? in
                var p = [Float](repeating: 0, count: gt.categories.count)
                p[d.classIndex] = d.probability
                return d.relative.map { NetworkDetection(box: $0, probabilities: p) }
            }
            live.append(network, imageIndex: k, groundTruth: gt)
        }
        XCTAssertEqual(live.count, fromFile.count)
        let a = try DarknetEvaluator.evaluate(groundTruth: gt, detections: fromFile)
        let b = try DarknetEvaluator.evaluate(groundTruth: gt, detections: live)
        c.checkRoutesAgree([a], [b])
    }

    func testDarknetOutJSON() throws {
        let gt = try GroundTruth(
            categories: [Category(id: 1, name: "a"), Category(id: 2, name: "b")],
            images: [EvalImage(id: 7, path: "data/img/000007.jpg", size: ImageSize(width: 200, height: 100)),
                     EvalImage(id: 8, path: "data/img/000008.jpg", size: nil)],
            objects: [[], []])
        let text = """
        [
        {
         "frame_id":1,
         "filename":"data/img/000007.jpg",
         "objects": [
          {"class_id":1, "name":"b", "relative_coordinates":{"center_x":0.500000, "center_y":0.250000, "width":0.100000, "height":0.200000}, "confidence":0.912000},
          {"class_id":5, "name":"?", "relative_coordinates":{"center_x":0.5, "center_y":0.5, "width":0.1, "height":0.1}, "confidence":0.5}
         ]
        },
        {
         "frame_id":2,
         "filename":"elsewhere/000008.jpg",
         "objects": [
          {"class_id":0, "name":"a", "relative_coordinates":{"center_x":0.98, "center_y":0.5, "width":0.1, "height":0.1}, "confidence":0.3}
         ]
        },
        {
         "frame_id":3,
         "filename":"unknown.jpg",
         "objects": [ {"class_id":0, "name":"a", "relative_coordinates":{"center_x":0.5, "center_y":0.5, "width":0.1, "height":0.1}, "confidence":0.3} ]
        }
        ]
        """
        let dets = try DetectionSet.parseDarknetJSON(data: Data(text.utf8), name: "result.json", groundTruth: gt)
        XCTAssertEqual(dets.diagnostics.read, 4)
        XCTAssertEqual(dets.diagnostics.accepted, 2)
        XCTAssertEqual(dets.diagnostics.unknownClass.count, 1)
        XCTAssertEqual(dets.diagnostics.unknownImage.examples, ["unknown.jpg"])
        let first = try XCTUnwrap(dets.perImage[0].first)
        XCTAssertEqual(first.classIndex, 1)
        XCTAssertEqual(first.probability, 0.912)
        XCTAssertEqual(first.relative, Box(x: 0.5, y: 0.25, w: 0.1, h: 0.2))
        let pixel = try XCTUnwrap(first.pixel)
        XCTAssertEqual(pixel.x, 90, accuracy: 1e-5)
        XCTAssertEqual(pixel.y, 15, accuracy: 1e-5)
        XCTAssertEqual(pixel.width, 20, accuracy: 1e-5)
        XCTAssertEqual(pixel.height, 20, accuracy: 1e-5)
        XCTAssertEqual(dets.perImage[1].count, 1)        // matched by file name
        XCTAssertNil(dets.perImage[1][0].pixel)          // size unknown

        XCTAssertThrowsError(try DetectionSet.parseDarknetJSON(data: Data("[{\"filename\": \"a.jpg\", \"objects\": [{\"class_id\": 0}]}]".utf8),
                                                               name: "result.json", groundTruth: gt)) { error in
            guard case let EvalError.invalidJSON(path, line, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "result.json")
            XCTAssertEqual(line, 1)
        }
    }

    func testPointsOneIsRejected() throws {
        let gt = try singleImage([])
        XCTAssertThrowsError(try DarknetEvaluator.evaluate(groundTruth: gt, detections: DetectionSet(for: gt),
                                                           options: DarknetOptions(points: 1)))
    }
}
