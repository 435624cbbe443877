import Foundation
import XCTest
@testable import SwiftnetEval

/// Checks one evaluation case directory (oracle or fixture) against its `expected.json`.
struct CaseChecks {
    let dir: URL
    let expected: [String: Any]
    let name: String

    init(_ dir: URL) throws {
        self.dir = dir
        self.expected = try TestSupport.json(dir.appendingPathComponent("expected.json"))
        self.name = dir.lastPathComponent
    }

    func cocoGroundTruth() throws -> GroundTruth {
        try GroundTruth.loadCOCO(path: dir.appendingPathComponent("gt_coco.json").path)
    }

    /// Ground truth from `case.data` (list + YOLO labels), with ids and sizes from the COCO file.
    func listGroundTruth(catalogFrom coco: GroundTruth) throws -> GroundTruth {
        let options = DarknetListOptions(categoryIds: coco.categories.map(\.id), catalog: ImageCatalog(images: coco.images),
                                         readImageHeaders: false, baseDirectory: dir.path)
        return try GroundTruth.loadDarknetData(path: "case.data", options: options)
    }

    func detections(_ gt: GroundTruth) throws -> DetectionSet {
        try DetectionSet.loadCOCOResults(path: dir.appendingPathComponent("dets_coco.json").path, groundTruth: gt)
    }

    /// COCO stats and per-class values within 1e-12 (and counts exactly).
    func checkCOCO(_ gt: GroundTruth, _ dets: DetectionSet, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try CocoEvaluator.evaluate(groundTruth: gt, detections: dets).summarize(groundTruth: gt)
        let coco = expected.dict("coco")
        let stats = coco.dict("stats")
        for (key, value) in zip(CocoStats.names, result.stats.values) {
            guard let want = stats.double(key) else { return XCTFail("\(name): no stat \(key)", file: file, line: line) }
            XCTAssertEqual(value, want, accuracy: 1e-12, "\(name) COCO \(key)", file: file, line: line)
        }
        let perClass = coco.list("per_class")
        XCTAssertEqual(perClass.count, result.perClass.count, "\(name) COCO class count", file: file, line: line)
        for (want, got) in zip(perClass, result.perClass) {
            XCTAssertEqual(want.int("class_index"), got.classIndex, file: file, line: line)
            XCTAssertEqual(want.int("category_id"), got.categoryId, file: file, line: line)
            XCTAssertEqual(want["name"] as? String, got.name, file: file, line: line)
            XCTAssertEqual(want.int("num_gt"), got.truthCount, "\(name) class \(got.classIndex) num_gt", file: file, line: line)
            XCTAssertEqual(want.int("num_dets"), got.detectionCount, "\(name) class \(got.classIndex) num_dets", file: file, line: line)
            for (key, value) in [("AP", got.ap), ("AP50", got.ap50), ("AP75", got.ap75), ("AR100", got.ar100)] {
                let w = want.double(key)
                XCTAssertEqual(w == nil, value == nil, "\(name) class \(got.classIndex) \(key) null-ness", file: file, line: line)
                if let w, let value {
                    XCTAssertEqual(value, w, accuracy: 1e-12, "\(name) class \(got.classIndex) \(key)", file: file, line: line)
                }
            }
        }
    }

    /// darknet numbers for every IoU threshold in expected.json, exactly.
    @discardableResult
    func checkDarknet(_ gt: GroundTruth, _ dets: DetectionSet, route: String,
                      file: StaticString = #filePath, line: UInt = #line) throws -> [DarknetResult] {
        var results: [DarknetResult] = []
        let darknet = expected.dict("darknet")
        for key in darknet.keys.sorted() where key.hasPrefix("iou_") {
            let e = darknet.dict(key)
            let label = "\(name) [\(route)] \(key)"
            guard let thresh = e.double("iou_thresh") else { XCTFail("\(label): no iou_thresh"); continue }
            let r = try DarknetEvaluator.evaluate(groundTruth: gt, detections: dets,
                                                  options: DarknetOptions(iouThreshold: Float(thresh)))
            results.append(r)
            XCTAssertEqual(r.classes.count, e.int("classes"), label, file: file, line: line)
            XCTAssertEqual(r.detectionsCount, e.int("detections_count"), "\(label) detections_count", file: file, line: line)
            XCTAssertEqual(r.uniqueTruthCount, e.int("unique_truth_count"), "\(label) unique_truth_count", file: file, line: line)
            let variants: [(String, Int, RecallLevelArithmetic)] = [
                ("points_0", 0, .ofast), ("points_11", 11, .exactDivision), ("points_11_ofast", 11, .ofast),
                ("points_101", 101, .exactDivision), ("points_101_ofast", 101, .ofast),
            ]
            let mAP = e.dict("mAP")
            for (v, points, arithmetic) in variants {
                XCTAssertEqual(r.meanAveragePrecision(points: points, arithmetic: arithmetic), mAP.double(v),
                               "\(label) mAP \(v)", file: file, line: line)
            }
            XCTAssertEqual(r.meanAveragePrecision, mAP.double("points_0"), "\(label) default mAP", file: file, line: line)
            for (want, got) in zip(e.list("per_class"), r.classes) {
                let cl = "\(label) class \(got.classIndex)"
                XCTAssertEqual(want.int("num_gt"), got.truthCount, "\(cl) num_gt", file: file, line: line)
                XCTAssertEqual(want.int("num_dets"), got.detectionCount, "\(cl) num_dets", file: file, line: line)
                XCTAssertEqual(want.int("tp"), got.truePositives, "\(cl) tp", file: file, line: line)
                XCTAssertEqual(want.int("fp"), got.falsePositives, "\(cl) fp", file: file, line: line)
                XCTAssertEqual(want.int("tp_at_thresh"), got.truePositivesAtThreshold, "\(cl) tp_at_thresh", file: file, line: line)
                XCTAssertEqual(want.int("fp_at_thresh"), got.falsePositivesAtThreshold, "\(cl) fp_at_thresh", file: file, line: line)
                for (v, points, arithmetic) in variants {
                    XCTAssertEqual(got.averagePrecision(points: points, arithmetic: arithmetic), want.double("ap_" + v),
                                   "\(cl) ap_\(v)", file: file, line: line)
                }
            }
            let p = e.dict("at_conf_thresh")
            let q = r.atConfThreshold
            XCTAssertEqual(q.truePositives, p.int("TP"), "\(label) TP", file: file, line: line)
            XCTAssertEqual(q.falsePositives, p.int("FP"), "\(label) FP", file: file, line: line)
            XCTAssertEqual(q.falseNegatives, p.int("FN"), "\(label) FN", file: file, line: line)
            for (key, value) in [("precision", q.precision), ("recall", q.recall), ("f1", q.f1), ("avg_iou", q.averageIoU),
                                 ("conf_thresh", q.confThreshold)] {
                XCTAssertEqual(value, p.double(key).map(Float.init), "\(label) \(key)", file: file, line: line)
            }
            let diag = e.dict("diagnostics")
            if !diag.isEmpty {
                XCTAssertEqual(r.diagnostics.iouExactlyThreshold, diag.int("iou_exactly_thresh"), "\(label) iou_exactly_thresh", file: file, line: line)
                XCTAssertEqual(r.diagnostics.fpBestTruthTaken, diag.int("fp_best_gt_taken"), "\(label) fp_best_gt_taken", file: file, line: line)
                XCTAssertEqual(r.diagnostics.fpBestTruthTakenOtherFree, diag.int("fp_best_gt_taken_other_gt_free"),
                               "\(label) fp_best_gt_taken_other_gt_free", file: file, line: line)
            }
        }
        return results
    }

    /// Both ground-truth routes give identical darknet numbers.
    func checkRoutesAgree(_ a: [DarknetResult], _ b: [DarknetResult], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.detectionsCount, y.detectionsCount, file: file, line: line)
            XCTAssertEqual(x.uniqueTruthCount, y.uniqueTruthCount, file: file, line: line)
            XCTAssertEqual(x.atConfThreshold, y.atConfThreshold, "\(name) operating point", file: file, line: line)
            XCTAssertEqual(x.diagnostics, y.diagnostics, file: file, line: line)
            for points in [0, 11, 101] {
                for arithmetic in RecallLevelArithmetic.allCases {
                    XCTAssertEqual(x.meanAveragePrecision(points: points, arithmetic: arithmetic),
                                   y.meanAveragePrecision(points: points, arithmetic: arithmetic),
                                   "\(name) mAP points \(points) \(arithmetic)", file: file, line: line)
                }
            }
            for (c, d) in zip(x.classes, y.classes) {
                XCTAssertEqual(c.truePositives, d.truePositives, file: file, line: line)
                XCTAssertEqual(c.falsePositives, d.falsePositives, file: file, line: line)
                XCTAssertEqual(c.truePositivesAtThreshold, d.truePositivesAtThreshold, file: file, line: line)
                XCTAssertEqual(c.falsePositivesAtThreshold, d.falsePositivesAtThreshold, file: file, line: line)
            }
        }
    }

    /// Runs every check of the case.
    func checkAll() throws {
        let gt = try cocoGroundTruth()
        let dets = try detections(gt)
        XCTAssertEqual(dets.diagnostics.skipped, 0, "\(name): no detection should be skipped")
        try checkCOCO(gt, dets)
        let viaCOCO = try checkDarknet(gt, dets, route: "COCO GT")
        let listGT = try listGroundTruth(catalogFrom: gt)
        XCTAssertEqual(listGT.diagnostics.missingLabelFiles.count, 0, "\(name): label files")
        XCTAssertEqual(listGT.images.map(\.id), gt.images.map(\.id), "\(name): image ids of both routes")
        let listDets = try detections(listGT)
        let viaList = try checkDarknet(listGT, listDets, route: "list+labels")
        checkRoutesAgree(viaCOCO, viaList)
    }
}
