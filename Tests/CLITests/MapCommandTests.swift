import Foundation
import TestSupport
import XCTest

/// `map` and `valid` with a live network: ground truth made from darknet's own detections of the shared photos
/// (yolov3-tiny at threshold 0.25), so a correct pipeline finds every labelled object.
final class MapCommandTests: XCTestCase {
    func makeDataset() throws -> (dir: String, model: String, truths: Int) {
        let model = try SharedData.path("models/yolov3-tiny-coco")
        let oracle = try SharedData.path("oracle/detect/yolov3-tiny-coco_thresh0.25.json")
        let dir = try SharedData.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/images", withIntermediateDirectories: true)
        let frames = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: oracle))) as? [[String: Any]])
        var list: [String] = []
        var truths = 0
        for frame in frames {
            let name = frame["filename"] as! String
            try FileManager.default.copyItem(atPath: try SharedData.path("images/" + name), toPath: dir + "/images/" + name)
            var labels = ""
            for object in frame["objects"] as! [[String: Any]] {
                let r = object["relative_coordinates"] as! [String: Double]
                labels += String(format: "%d %f %f %f %f\n", object["class_id"] as! Int, r["center_x"]!, r["center_y"]!, r["width"]!, r["height"]!)
                truths += 1
            }
            try labels.write(toFile: dir + "/images/" + (name as NSString).deletingPathExtension + ".txt", atomically: true, encoding: .utf8)
            list.append("images/" + name)
        }
        try (list.joined(separator: "\n") + "\n").write(toFile: dir + "/valid.txt", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: model + "/coco.names", toPath: dir + "/coco.names")
        try "classes=80\nvalid=valid.txt\nnames=coco.names\n".write(toFile: dir + "/test.data", atomically: true, encoding: .utf8)
        return (dir, model, truths)
    }

    func testMapFindsDarknetsOwnDetections() throws {
        let (dir, model, truths) = try makeDataset()
        XCTAssertEqual(truths, 11)
        // The .data file names valid.txt relatively: read from the working directory, as darknet does.
        let text = try CLI.run(["map", "--data", dir + "/test.data", "--cfg", model + "/yolov3-tiny.cfg", "--weights", model + "/yolov3-tiny.weights"], directory: dir)
        XCTAssertEqual(text.status, 0, text.stderr)
        // --json: the JSON on stdout, the same text report on stderr.
        let r = try CLI.run(["map", "--data", dir + "/test.data", "--cfg", model + "/yolov3-tiny.cfg", "--weights", model + "/yolov3-tiny.weights", "--json"], directory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains(text.stdout), r.stderr)
        try r.stdout.write(toFile: dir + "/report.json", atomically: true, encoding: .utf8)
        XCTAssertTrue(text.stdout.contains("unique_truth_count = 11"), text.stdout)
        let r2 = text
        XCTAssertTrue(r2.stdout.contains(" for conf_thresh = 0.25, TP = 11, FP = 0, FN = 0, average IoU = "), r2.stdout)
        XCTAssertTrue(r2.stdout.contains("class_id = 16, name = dog, ap = 100.00%"), r2.stdout)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/report.json"))) as? [String: Any])
        let darknet = try XCTUnwrap(report["darknet"] as? [String: Any])
        // Every labelled class is found with AP 1; mAP averages over all 80 classes.
        let classesWithTruth = 7.0 // person, bicycle, car, truck, bird, dog, sheep
        XCTAssertEqual(try XCTUnwrap(darknet["mAP"] as? Double), classesWithTruth / 80, accuracy: 1e-9)
        XCTAssertNotNil((report["coco"] as? [String: Any])?["stats"])
    }

    /// `valid --batch N` runs N images a pass (3 images: batch 2 makes a full and a partial pass) and finds the same
    /// boxes as one image a pass, to float rounding; it reports its throughput.
    func testValidBatchesAgreeWithOneImageAPass() throws {
        let (dir, model, _) = try makeDataset()
        var runs: [[[String: Any]]] = []
        for batch in [1, 2] {
            let out = dir + "/results-\(batch).json"
            let r = try CLI.run(["valid", "--data", dir + "/test.data", "--cfg", model + "/yolov3-tiny.cfg", "--weights",
                                 model + "/yolov3-tiny.weights", "--out", out, "--batch", "\(batch)"], directory: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stderr.contains("3 images in") && r.stderr.contains("images/s (batch \(batch))"), r.stderr)
            runs.append(try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [[String: Any]]))
        }
        XCTAssertEqual(runs[0].count, runs[1].count)
        for (a, b) in zip(runs[0], runs[1]) {
            XCTAssertEqual(a["image_id"] as? Int, b["image_id"] as? Int)
            XCTAssertEqual(a["category_id"] as? Int, b["category_id"] as? Int)
            XCTAssertEqual(try XCTUnwrap(a["score"] as? Double), try XCTUnwrap(b["score"] as? Double), accuracy: 1e-4)
            for (u, v) in zip(try XCTUnwrap(a["bbox"] as? [Double]), try XCTUnwrap(b["bbox"] as? [Double])) {
                XCTAssertEqual(u, v, accuracy: 1e-2)
            }
        }
    }

    func testValidWritesCocoResults() throws {
        let (dir, model, _) = try makeDataset()
        let out = dir + "/results.json"
        let r = try CLI.run(["valid", "--data", dir + "/test.data", "--cfg", model + "/yolov3-tiny.cfg", "--weights", model + "/yolov3-tiny.weights",
                             "--out", out], directory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let results = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [[String: Any]])
        XCTAssertGreaterThan(results.count, 11)
        // 80-class models get darknet's COCO category ids (dog = class 16 → id 18); ids come from list order here.
        XCTAssertTrue(results.contains { ($0["category_id"] as? Int) == 18 && (($0["score"] as? Double) ?? 0) > 0.8 })
        XCTAssertEqual(Set(results.compactMap { $0["image_id"] as? Int }), [1, 2, 3])
        for entry in results {
            let bbox = try XCTUnwrap(entry["bbox"] as? [Double])
            XCTAssertGreaterThanOrEqual(bbox[0], 0)
            XCTAssertGreaterThanOrEqual(bbox[2], 0)
        }
        // Evaluating the written file through the list route: every labelled class is still found (AP 100%), although
        // valid's NMS 0.6 keeps more overlapping boxes than map's 0.45.
        // Both commands default to --category-ids auto, so valid's file reads back with no option.
        let files = try CLI.run(["map", "--gt", dir + "/valid.txt", "--names", dir + "/coco.names", "--detections", out], directory: dir)
        XCTAssertEqual(files.status, 0, files.stderr)
        XCTAssertTrue(files.stdout.contains("mean average precision (mAP@0.50) = 0.087500, or 8.75 %"), files.stdout)
        XCTAssertTrue(files.stdout.contains("class_id = 16, name = dog, ap = 100.00%"), files.stdout)
        // Read as class indices, COCO ids above 79 (toothbrush is 90) are unknown classes: an error that names the fix.
        let text = try String(contentsOfFile: out, encoding: .utf8)
        let extended = String(text.dropLast(2)) + ",\n{\"image_id\":1, \"category_id\":90, \"bbox\":[1, 1, 5, 5], \"score\":0.1}\n]"
        try extended.write(toFile: dir + "/extended.json", atomically: true, encoding: .utf8)
        let wrong = try CLI.run(["map", "--gt", dir + "/valid.txt", "--names", dir + "/coco.names", "--detections", dir + "/extended.json",
                                 "--category-ids", "index"], directory: dir)
        XCTAssertEqual(wrong.status, 65)
        XCTAssertTrue(wrong.stderr.contains("not a class of the ground truth with --category-ids index"), wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains("pass --category-ids auto"), wrong.stderr)
    }

    func testMapNeedsBothFilesOrAWeightsFileWithItsCfg() throws {
        let gtOnly = try CLI.run(["map", "--gt", "valid.txt"])
        XCTAssertEqual(gtOnly.status, 64)
        XCTAssertTrue(gtOnly.stderr.contains("--gt and --detections go together"), gtOnly.stderr)
        let cfgOnly = try CLI.run(["map", "--cfg", "x.cfg"])
        XCTAssertEqual(cfgOnly.status, 64)
        XCTAssertTrue(cfgOnly.stderr.contains("--cfg needs --weights"), cfgOnly.stderr)
    }
}

final class MapBadInputTests: XCTestCase {
    func testMalformedDetectionsJSONNamesFileAndLine() throws {
        let dir = try SharedData.temporaryDirectory()
        try #"{"images":[{"id":1,"file_name":"1.jpg","width":10,"height":10}],"annotations":[],"categories":[{"id":1,"name":"a"}]}"#
            .write(toFile: dir + "/gt.json", atomically: true, encoding: .utf8)
        try "[\n{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1,2,3], \"score\": 0.5}\n]\n".write(toFile: dir + "/d.json", atomically: true, encoding: .utf8)
        let r = try CLI.run(["map", "--gt", dir + "/gt.json", "--detections", dir + "/d.json"])
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.hasPrefix("error: " + dir + "/d.json:2:"), r.stderr)
        XCTAssertFalse(r.crashed)
    }

    func testEmptyDetectionsGiveZeros() throws {
        let dir = try SharedData.temporaryDirectory()
        try #"{"images":[{"id":1,"file_name":"1.jpg","width":10,"height":10}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[1,1,5,5],"area":25,"iscrowd":0}],"categories":[{"id":1,"name":"a"}]}"#
            .write(toFile: dir + "/gt.json", atomically: true, encoding: .utf8)
        try "[]".write(toFile: dir + "/d.json", atomically: true, encoding: .utf8)
        let r = try CLI.run(["map", "--gt", dir + "/gt.json", "--detections", dir + "/d.json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("mean average precision (mAP@0.50) = 0.000000, or 0.00 %"), r.stdout)
    }
}
