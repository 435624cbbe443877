import Foundation
import SwiftnetCore
import SwiftnetFormat
import XCTest
@testable import SwiftnetEval

final class ReportTests: XCTestCase {
    private func tinyReport() throws -> EvaluationReport {
        guard let dir = try TestSupport.oracleCases().first(where: { $0.lastPathComponent.hasPrefix("01") }) else {
            throw XCTSkip("oracle case 01 not found")
        }
        let c = try CaseChecks(dir)
        let gt = try c.cocoGroundTruth()
        return try Evaluator.evaluate(groundTruth: gt, detections: c.detections(gt))
    }

    func testTextReportUsesDarknetAndPycocotoolsFormats() throws {
        let text = try tinyReport().text()
        let expectedLines = [
            "\n detections_count = 8, unique_truth_count = 6  \n",
            "class_id = 0, name = person, ap = 36.11%   \t (TP = 3, FP = 5) \n",
            "\n for conf_thresh = 0.25, precision = 0.38, recall = 0.50, F1-score = 0.43 \n",
            " for conf_thresh = 0.25, TP = 3, FP = 5, FN = 3, average IoU = 29.98 % \n",
            "\n IoU threshold = 50 %, used Area-Under-Curve for each unique Recall \n",
            " mean average precision (mAP@0.50) = 0.361111, or 36.11 % \n",
            " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.292\n",
            " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.804\n",
            " Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 0.303\n",
            " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.217\n",
            " Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = 0.600\n",
        ]
        for line in expectedLines { XCTAssertTrue(text.contains(line), "missing \(line.debugDescription) in\n\(text)") }
        XCTAssertTrue(text.contains("darknet `detector map` protocol"))
        XCTAssertTrue(text.contains("COCO protocol (pycocotools 2.0.11"))
    }

    func testPointsLine() throws {
        var report = try tinyReport()
        report.darknet?.options.points = 101
        XCTAssertTrue(report.text().contains("\n IoU threshold = 50 %, used 101 Recall-points \n"))
    }

    func testJSONReportIsWrittenAtomicallyAndRoundTrips() throws {
        let report = try tinyReport()
        let dir = try TestSupport.temporaryDirectory(self)
        let path = dir.appendingPathComponent("report.json").path
        try "old".write(toFile: path, atomically: false, encoding: .utf8)
        try report.writeJSON(to: path)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["report.json"])
        let json = try TestSupport.json(URL(fileURLWithPath: path))
        let stats = json.dict("coco").dict("stats")
        XCTAssertEqual(stats.keys.sorted(), CocoStats.names.sorted())
        XCTAssertEqual(stats.double("AP"), report.coco?.stats.ap)
        XCTAssertEqual(stats.double("AP50"), 0.8036303630363039)
        let darknet = json.dict("darknet")
        XCTAssertEqual(darknet.double("mAP"), 0.3611111111111111)
        XCTAssertEqual(darknet.list("per_class").first?.int("tp_at_thresh"), 3)
        let point = darknet.dict("at_conf_thresh")
        XCTAssertEqual(point.double("f1"), 0.4285714328289032)
        XCTAssertEqual(point.double("avg_iou"), 0.29982009530067444)
        XCTAssertEqual(json.dict("inputs").int("detections_used"), 8)

        XCTAssertThrowsError(try report.writeJSON(to: dir.appendingPathComponent("no/such/dir/r.json").path)) { error in
            guard case SwiftnetError.file = error else { return XCTFail("\(error)") }
        }
    }

    func testUnavailableProtocolIsNullInJSON() throws {
        let gt = try GroundTruth(categories: [Category(id: 0, name: "a")],
                                 images: [EvalImage(id: 1, path: "1.jpg", size: nil)],
                                 objects: [[GroundTruthObject(classIndex: 0, relative: Box(x: 0.5, y: 0.5, w: 0.1, h: 0.1),
                                                              pixel: nil, area: 0, isCrowd: false, annotationId: 1)]])
        let report = try Evaluator.evaluate(groundTruth: gt, detections: DetectionSet(for: gt))
        let json = report.json()
        XCTAssertTrue(json.contains("\"coco\": null"), json)
        XCTAssertTrue(json.contains("\"coco_unavailable\": \"no pixel boxes for 1.jpg: image size unknown\""), json)
        XCTAssertNotNil(report.darknet)
    }
}
