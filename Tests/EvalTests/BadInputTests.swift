import Foundation
import SwiftnetCore
import XCTest
@testable import SwiftnetEval

/// Inputs that must not crash: empty, unknown ids, malformed files, missing labels.
final class BadInputTests: XCTestCase {
    private func oracleCase(_ prefix: String) throws -> CaseChecks {
        guard let dir = try TestSupport.oracleCases().first(where: { $0.lastPathComponent.hasPrefix(prefix) }) else {
            throw XCTSkip("oracle case \(prefix) not found")
        }
        return try CaseChecks(dir)
    }

    func testEmptyDetectionListGivesZeros() throws {
        let c = try oracleCase("02")
        let gt = try c.cocoGroundTruth()
        let dets = try DetectionSet.parseCOCOResults(data: Data("[ ]\n".utf8), name: "empty.json", groundTruth: gt)
        XCTAssertEqual(dets.count, 0)
        let report = try Evaluator.evaluate(groundTruth: gt, detections: dets)
        let coco = try XCTUnwrap(report.coco)
        // Case 02 has small, medium and large GT in every class set, so every stat is defined and 0.
        XCTAssertEqual(coco.stats.values, [Double](repeating: 0, count: 12))
        for p in coco.perClass {
            XCTAssertEqual(p.ap, 0)
            XCTAssertEqual(p.ar100, 0)
            XCTAssertEqual(p.detectionCount, 0)
        }
        let darknet = try XCTUnwrap(report.darknet)
        XCTAssertEqual(darknet.detectionsCount, 0)
        XCTAssertEqual(darknet.uniqueTruthCount, 24)
        for points in [0, 11, 101] { XCTAssertEqual(darknet.meanAveragePrecision(points: points), 0) }
        XCTAssertEqual(darknet.atConfThreshold.truePositives, 0)
        XCTAssertEqual(darknet.atConfThreshold.falsePositives, 0)
        XCTAssertEqual(darknet.atConfThreshold.falseNegatives, 24)
        XCTAssertTrue(darknet.atConfThreshold.precision.isNaN)
        XCTAssertEqual(darknet.atConfThreshold.recall, 0)
        let text = report.text()
        XCTAssertTrue(text.contains(" mean average precision (mAP@0.50) = 0.000000, or 0.00 % \n"), text)
        XCTAssertTrue(text.contains("precision = -nan") || text.contains("precision = nan"), text)
    }

    func testUnknownImagesAndCategoriesAreSkippedAndReported() throws {
        let c = try oracleCase("01")
        let gt = try c.cocoGroundTruth()
        let reference = try c.detections(gt)
        var entries = try String(contentsOf: c.dir.appendingPathComponent("dets_coco.json"), encoding: .utf8)
        entries.removeLast(entries.hasSuffix("\n") ? 2 : 1)
        entries += """
        , {"image_id": 424242, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.9},
          {"image_id": 1, "category_id": 77, "bbox": [1, 2, 3, 4], "score": 0.9},
          {"image_id": 2, "category_id": 78, "bbox": [1, 2, 3, 4], "score": 0.8}]
        """
        let dets = try DetectionSet.parseCOCOResults(data: Data(entries.utf8), name: "extra.json", groundTruth: gt)
        XCTAssertEqual(dets.diagnostics.read, 11)
        XCTAssertEqual(dets.diagnostics.accepted, 8)
        XCTAssertEqual(dets.diagnostics.unknownImage.count, 1)
        XCTAssertEqual(dets.diagnostics.unknownImage.examples, ["image_id 424242"])
        XCTAssertEqual(dets.diagnostics.unknownClass.count, 2)
        XCTAssertEqual(dets.diagnostics.unknownClass.examples.first, "category_id 77 (image_id 1)")
        XCTAssertEqual(dets.perImage, reference.perImage)
        let report = try Evaluator.evaluate(groundTruth: gt, detections: dets)
        let expected = try Evaluator.evaluate(groundTruth: gt, detections: reference)
        XCTAssertEqual(report.coco?.stats, expected.coco?.stats)
        XCTAssertEqual(report.darknet?.meanAveragePrecision, expected.darknet?.meanAveragePrecision)
        XCTAssertTrue(report.text().contains("unknown image 1 (e.g. image_id 424242)"), report.text())
    }

    func testMalformedJSONNamesFileAndLine() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let path = dir.appendingPathComponent("broken.json").path
        try Data("[\n {\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5},\n {\"image_id\": 1,, }\n]\n".utf8)
            .write(to: URL(fileURLWithPath: path))
        let gt = try GroundTruth(categories: [Category(id: 1, name: "a")],
                                 images: [EvalImage(id: 1, path: "1.jpg", size: ImageSize(width: 10, height: 10))],
                                 objects: [[]])
        XCTAssertThrowsError(try DetectionSet.loadCOCOResults(path: path, groundTruth: gt)) { error in
            guard case let EvalError.invalidJSON(file, line, column, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, path)
            XCTAssertEqual(line, 3)
            XCTAssertEqual(column, 17)
            XCTAssertTrue("\(error)".hasPrefix("\(path):3:17: invalid JSON"), "\(error)")
        }
        // Well-formed but missing a required key.
        try Data("[\n {\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4]}\n]".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try DetectionSet.loadCOCOResults(path: path, groundTruth: gt)) { error in
            guard case let EvalError.invalidJSON(file, line, _, reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, path)
            XCTAssertEqual(line, 2)
            XCTAssertTrue(reason.contains("'score'"), reason)
        }
        // Truncated file.
        try Data("[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try DetectionSet.loadCOCOResults(path: path, groundTruth: gt)) { error in
            guard case let EvalError.invalidJSON(file, _, _, reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, path)
            XCTAssertTrue(reason.contains("end of input"), reason)
        }
        // Ground truth with a three-value bbox.
        let gtPath = dir.appendingPathComponent("gt.json").path
        try Data("""
        {"images": [{"id": 1, "file_name": "1.jpg", "width": 10, "height": 10}],
         "categories": [{"id": 1, "name": "a"}],
         "annotations": [{"id": 1, "image_id": 1, "category_id": 1,
                          "bbox": [1, 2, 3], "area": 9, "iscrowd": 0}]}
        """.utf8).write(to: URL(fileURLWithPath: gtPath))
        XCTAssertThrowsError(try GroundTruth.loadCOCO(path: gtPath)) { error in
            guard case let EvalError.invalidJSON(file, line, _, reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, gtPath)
            XCTAssertEqual(line, 4)
            XCTAssertTrue(reason.contains("3 values"), reason)
        }
        XCTAssertThrowsError(try GroundTruth.loadCOCO(path: dir.appendingPathComponent("absent.json").path)) { error in
            guard case EvalError.unreadableFile = error else { return XCTFail("\(error)") }
        }
    }

    func testMalformedLabelLineNamesFileAndLine() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        try "a.jpg\nb.jpg\n".write(to: dir.appendingPathComponent("list.txt"), atomically: true, encoding: .utf8)
        try "0 0.5 0.5 0.2 0.2\n".write(to: dir.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        try "1 0.5 0.5 0.2 0.2\n1 0.5 0.5 0.2\n".write(to: dir.appendingPathComponent("b.txt"), atomically: true, encoding: .utf8)
        let options = DarknetListOptions(readImageHeaders: false, baseDirectory: dir.path)
        XCTAssertThrowsError(try GroundTruth.loadDarknetList(listPath: "list.txt", names: ["a", "b"], options: options)) { error in
            guard case let EvalError.invalidLabel(path, line, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, dir.appendingPathComponent("b.txt").path)
            XCTAssertEqual(line, 2)
        }
        try "1 0.5 0.5 0.2 0.2\n\n2 0.5 0.5 0.2 0.2\n".write(to: dir.appendingPathComponent("b.txt"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try GroundTruth.loadDarknetList(listPath: "list.txt", names: ["a", "b"], options: options)) { error in
            guard case let EvalError.invalidLabel(_, line, reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(line, 3)
            XCTAssertTrue(reason.contains("out of range"), reason)
        }
        XCTAssertThrowsError(try YOLOLabels.parse("0 0.5 x 0.2 0.2", path: "l.txt", classCount: 1)) { error in
            XCTAssertEqual("\(error)", "l.txt:1: invalid label line: 'x' is not a finite number")
        }
        XCTAssertThrowsError(try YOLOLabels.parse("0.0 0.5 0.5 0.2 0.2", path: "l.txt", classCount: 1))
        XCTAssertEqual(try YOLOLabels.parse("0 0.5 0.5 0.2 0.2\r\n\r\n0\t1e-1 .5 0.25 1\r\n", path: "l.txt", classCount: 1),
                       [YOLOLabel(classIndex: 0, box: Box(x: 0.5, y: 0.5, w: 0.2, h: 0.2)),
                        YOLOLabel(classIndex: 0, box: Box(x: 0.1, y: 0.5, w: 0.25, h: 1))])
        XCTAssertThrowsError(try YOLOLabels.parse("0 nan 0.5 0.2 0.2", path: "l.txt", classCount: 1))
    }

    func testMissingLabelFileIsBackgroundAndReported() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        try "img/1.jpg\nimg/2.jpg\nimg/x.gif\n".write(to: dir.appendingPathComponent("list.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("img"), withIntermediateDirectories: true)
        try "0 0.5 0.5 0.25 0.25\n".write(to: dir.appendingPathComponent("img/1.txt"), atomically: true, encoding: .utf8)
        let options = DarknetListOptions(readImageHeaders: false, baseDirectory: dir.path)
        let gt = try GroundTruth.loadDarknetList(listPath: "list.txt", names: ["thing"], options: options)
        XCTAssertEqual(gt.images.map(\.id), [1, 2, 3])
        XCTAssertEqual(gt.diagnostics.imageIdSource, "list position")   // x.gif has no numeric stem
        XCTAssertEqual(gt.objectCount, 1)
        XCTAssertEqual(gt.diagnostics.backgroundImages, 2)
        XCTAssertEqual(gt.diagnostics.missingLabelFiles.count, 1)
        XCTAssertEqual(gt.diagnostics.missingLabelFiles.examples, ["img/2.txt"])
        XCTAssertEqual(gt.diagnostics.uninferableLabelPaths.examples, ["img/x.gif"])
        XCTAssertEqual(gt.diagnostics.imagesWithoutSize.count, 3)

        // darknet needs no sizes; COCO does, and says so.
        var dets = DetectionSet(for: gt)
        dets.append([NetworkDetection(box: Box(x: 0.5, y: 0.5, w: 0.25, h: 0.25), probabilities: [0.9])],
                    imageIndex: 0, groundTruth: gt)
        let report = try Evaluator.evaluate(groundTruth: gt, detections: dets)
        XCTAssertEqual(report.darknet?.meanAveragePrecision, 1)
        XCTAssertNil(report.coco)
        XCTAssertEqual(report.cocoUnavailable, "no pixel boxes for img/1.jpg: image size unknown")
        XCTAssertTrue(report.text().contains("== COCO protocol: unavailable (no pixel boxes for img/1.jpg"), report.text())
    }
}
