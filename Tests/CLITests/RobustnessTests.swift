import Foundation
import SwiftnetData
import TestSupport
import XCTest

/// Cases from a bad-input sweep of every command: each must end in one clear error (or a warning), never a crash,
/// an allocation abort, a hang, silent garbage, or an overwritten input.
final class RobustnessTests: XCTestCase {
    var dir = ""
    let cfg = TinyCfg.detector(netKeys: ["batch=4", "subdivisions=2"])

    override func setUpWithError() throws {
        dir = try SharedData.temporaryDirectory()
        try cfg.write(toFile: dir + "/t.cfg", atomically: true, encoding: .utf8)
        // 12·(1 + 27) + 14·(1 + 12) floats.
        var data = Data([0, 0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        data.append(Data(repeating: 0, count: 4 * (12 * 28 + 14 * 13)))
        try data.write(to: URL(fileURLWithPath: dir + "/t.weights"))
        try "a\nb\n".write(toFile: dir + "/t.names", atomically: true, encoding: .utf8)
        var image = RGBImage(width: 40, height: 30)
        for i in 0..<image.pixels.count { image.pixels[i] = UInt8(truncatingIfNeeded: i &* 7) }
        try ImageIO.write(image, to: dir + "/img.jpg")
    }

    func fails(_ r: CLI.Result, status: Int32 = 65, containing text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(r.crashed, "crashed: \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.status, status, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(text), "expected '\(text)' in: \(r.stderr)", file: file, line: line)
    }

    func model(_ extra: [String] = []) -> [String] {
        ["--cfg", dir + "/t.cfg", "--weights", dir + "/t.weights", "--names", dir + "/t.names"] + extra
    }

    func testNetworksTooLargeForMemoryAreRefusedBeforeAllocating() throws {
        let huge = cfg.replacingOccurrences(of: "filters=12", with: "filters=2000000000")
        try huge.write(toFile: dir + "/huge.cfg", atomically: true, encoding: .utf8)
        fails(try CLI.run(["layers", dir + "/huge.cfg"]), containing: dir + "/huge.cfg:7: [convolutional] (layer 0): its 2000000000×3×3×3 weights would need")
        let wide = cfg.replacingOccurrences(of: "size=3", with: "size=1001").replacingOccurrences(of: "pad=1", with: "pad=1\nstride=1")
        try wide.write(toFile: dir + "/wide.cfg", atomically: true, encoding: .utf8)
        fails(try CLI.run(["benchmark", "--cfg", dir + "/wide.cfg", "--width", "1024", "--height", "1024", "--runs", "1"]), containing: "more than this machine's")
        fails(try CLI.run(["benchmark", "--cfg", dir + "/t.cfg", "--width", "100000", "--runs", "1"]), status: 64, containing: "too large")
        fails(try CLI.run(["detect", dir + "/img.jpg", "--threads", "100000"] + model()), status: 64, containing: "--threads 100000: must be 1…1024")
    }

    func testOneColumnInputGivesFiniteScores() throws {
        let image = Image(width: 7, height: 5, channels: 3, data: (0..<105).map { Float($0) / 105 })
        for (w, h) in [(1, 1), (1, 5), (7, 1)] {
            let resized = image.resized(width: w, height: h)
            XCTAssertTrue(resized.data.allSatisfy(\.isFinite), "\(w)×\(h)")
            // darknet copies the last source column into the last target column; a one-row target takes the first row.
            XCTAssertEqual(resized[w - 1, 0, 0], image[6, 0, 0])
        }
    }

    func testDetectNeverOverwritesItsInputs() throws {
        let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/img.jpg"))
        fails(try CLI.run(["detect", dir + "/img.jpg", "--output-dir", dir] + model()), status: 64, containing: "--output-dir \(dir)/img.jpg would overwrite an input file")
        fails(try CLI.run(["detect", dir + "/img.jpg", "--out", dir + "/t.weights"] + model()), status: 64, containing: "would overwrite an input file")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/img.jpg")), before)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: dir + "/t.weights")[.size] as? Int, 20 + 4 * (12 * 28 + 14 * 13))
    }

    func testImageListsMustNameExistingImages() throws {
        try "\n\n".write(toFile: dir + "/empty.txt", atomically: true, encoding: .utf8)
        fails(try CLI.run(["detect", dir + "/empty.txt"] + model()), containing: dir + "/empty.txt: the list names no images")
        try "\(dir)/img.jpg\n# a comment\n".write(toFile: dir + "/list.txt", atomically: true, encoding: .utf8)
        fails(try CLI.run(["detect", dir + "/list.txt"] + model()), containing: dir + "/list.txt:2: image # a comment does not exist")
    }

    func testEvaluationsNeedImages() throws {
        try "\n".write(toFile: dir + "/valid.txt", atomically: true, encoding: .utf8)
        try "classes=2\nvalid=\(dir)/valid.txt\nnames=\(dir)/t.names\n".write(toFile: dir + "/e.data", atomically: true, encoding: .utf8)
        fails(try CLI.run(["map", "--data", dir + "/e.data", "--cfg", dir + "/t.cfg", "--weights", dir + "/t.weights"]), containing: "the image list is empty")
        fails(try CLI.run(["valid", "--data", dir + "/e.data", "--cfg", dir + "/t.cfg", "--weights", dir + "/t.weights", "--out", dir + "/r.json"]),
              containing: "the image list is empty")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/r.json"))
    }

    func testDataFileValues() throws {
        let dataset = dir + "/shapes"
        XCTAssertEqual(try CLI.run(["dataset", "shapes", "--out", dataset, "--count", "10", "--size", "64"]).status, 0)
        let original = try String(contentsOfFile: dataset + "/shapes.data", encoding: .utf8)
        func check(_ text: String) throws -> CLI.Result {
            try text.write(toFile: dataset + "/x.data", atomically: true, encoding: .utf8)
            return try CLI.run(["check-data", "--data", dataset + "/x.data"])
        }
        fails(try check(original.replacingOccurrences(of: "classes=5", with: "classes=-3")), containing: "x.data:1: classes=-3: must be 1…1000000")
        fails(try check(original.replacingOccurrences(of: "classes=5", with: "classes=1000000000")), containing: "classes=1000000000: must be 1…1000000")
        fails(try check(original.replacingOccurrences(of: "valid=", with: "valid=nowhere/")), containing: "the list of validation images does not exist")
        let trainLine = try XCTUnwrap(original.split(separator: "\n").firstIndex { $0.hasPrefix("train=") }) + 1
        fails(try check(original.replacing(#/train=[^\n]*/#, with: "train=")), containing: "x.data:\(trainLine): train= has no value")
    }

    func testALabelPathThatIsADirectoryIsAnError() throws {
        let dataset = dir + "/shapes"
        XCTAssertEqual(try CLI.run(["dataset", "shapes", "--out", dataset, "--count", "10", "--size", "32"]).status, 0)
        let image = try XCTUnwrap(try String(contentsOfFile: dataset + "/train.txt", encoding: .utf8).split(separator: "\n").first)
        let label = String(image.dropLast(4)) + ".txt"
        try FileManager.default.removeItem(atPath: label)
        try FileManager.default.createDirectory(atPath: label, withIntermediateDirectories: false)
        let r = try CLI.run(["check-data", "--data", dataset + "/shapes.data"])
        XCTAssertEqual(r.status, 65, r.stdout)
        XCTAssertTrue(r.stdout.contains("error: \(label): is a directory, expected the label file of \(image)"), r.stdout)
    }

    func testClassifierDatasetsAreCheckedAsClassifiers() throws {
        let dataset = dir + "/cls"
        XCTAssertEqual(try CLI.run(["dataset", "shapes", "--classification", "--out", dataset, "--count", "10", "--size", "32"]).status, 0)
        let r = try CLI.run(["check-data", "--data", dataset + "/shapes.data"])
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        XCTAssertTrue(r.stdout.hasPrefix("10 images, each labelled by the one class name in its path\n0 errors in 0 images, 0 warnings"), r.stdout)
        try "\(dataset)/../img.jpg\n".write(toFile: dataset + "/bad.txt", atomically: true, encoding: .utf8)
        let data = try String(contentsOfFile: dataset + "/shapes.data", encoding: .utf8)
        try data.replacing(#/train=[^\n]*/#, with: "train=\(dataset)/bad.txt").write(toFile: dataset + "/bad.data", atomically: true, encoding: .utf8)
        let bad = try CLI.run(["check-data", "--data", dataset + "/bad.data", "--train-only"])
        XCTAssertEqual(bad.status, 65, bad.stdout)
    }

    func testBatchSmallerThanSubdivisionsIsAnError() throws {
        let dataset = dir + "/shapes"
        XCTAssertEqual(try CLI.run(["dataset", "shapes", "--out", dataset, "--count", "10", "--size", "32"]).status, 0)
        try cfg.replacingOccurrences(of: "classes=2", with: "classes=5").replacingOccurrences(of: "filters=14", with: "filters=20")
            .write(toFile: dir + "/five.cfg", atomically: true, encoding: .utf8)
        fails(try CLI.run(["train", dir + "/five.cfg", "--data", dataset + "/shapes.data", "--set", "net.batch=4", "--set", "net.subdivisions=8"]),
              containing: "batch=4 is smaller than subdivisions=8")
        let r = try CLI.run(["train", dir + "/five.cfg", "--data", dataset + "/shapes.data", "--set", "net.batch=6", "--set", "net.subdivisions=4",
                             "--max-batches", "1", "--backup", dir + "/bk"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue((r.stdout + r.stderr).contains("each iteration trains 4 × 1 = 4 images"), r.stdout + r.stderr)
    }

    func testNonFiniteWeightsAreADamagedFile() throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: dir + "/t.weights"))
        let nan = Float.nan.bitPattern
        // The first float of layer 1's biases (after layer 0's 12 biases and 324 weights).
        let offset = 20 + 4 * (12 * 28)
        for k in 0..<4 { data[offset + k] = UInt8(truncatingIfNeeded: nan >> (8 * UInt32(k))) }
        try data.write(to: URL(fileURLWithPath: dir + "/nan.weights"))
        fails(try CLI.run(["detect", dir + "/img.jpg", "--cfg", dir + "/t.cfg", "--weights", dir + "/nan.weights", "--names", dir + "/t.names"]),
              containing: dir + "/nan.weights: layer 1 (convolutional) biases: 1 of 14 values are NaN or infinite")
    }

    func testNegativeOptionValuesReachValidation() throws {
        fails(try CLI.run(["detect", dir + "/img.jpg", "--thresh", "-1"] + model()), status: 64, containing: "--thresh must be in [0, 1]")
        fails(try CLI.run(["map", "--gt", "g.txt", "--detections", "d.json", "--thresh", "2"]), status: 64, containing: "--thresh must be in [0, 1]")
        let r = try CLI.run(["layers", dir + "/t.cfg", "--set", "-3.filters=16", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("t.cfg:8: [convolutional] filters: 12 → 16 (--set -3.filters=16)"), r.stderr)
    }

    func testNegativeAnchorsAreACfgError() throws {
        try cfg.replacingOccurrences(of: "anchors=4,4, 8,8", with: "anchors=4,-4, 8,8").write(toFile: dir + "/neg.cfg", atomically: true, encoding: .utf8)
        fails(try CLI.run(["layers", dir + "/neg.cfg"]), containing: dir + "/neg.cfg:18: anchors: anchor size -4.0 is not a positive number")
    }

    /// Detections that match no ground-truth image are an error, not a report of zeros.
    func testDetectionsMatchingNothingAreAnError() throws {
        try "\(dir)/img.jpg\n".write(toFile: dir + "/gt.txt", atomically: true, encoding: .utf8)
        try "0 0.5 0.5 0.2 0.2\n".write(toFile: dir + "/img.txt", atomically: true, encoding: .utf8)
        try #"[{"image_id": 999, "category_id": 0, "bbox": [1, 2, 3, 4], "score": 0.9}]"#.write(toFile: dir + "/d.json", atomically: true, encoding: .utf8)
        fails(try CLI.run(["map", "--gt", dir + "/gt.txt", "--detections", dir + "/d.json", "--names", dir + "/t.names"]),
              containing: dir + "/d.json: none of its 1 detections matches the ground truth (unknown image 1")
    }

    func testMoreCfgAndOptionChecks() throws {
        try cfg.replacingOccurrences(of: "subdivisions=2", with: "subdivisions=2\nmomentum=5").write(toFile: dir + "/m.cfg", atomically: true, encoding: .utf8)
        fails(try CLI.run(["layers", dir + "/m.cfg"]), containing: dir + "/m.cfg:7: momentum: 5.0 must be in [0, 1)")
        let tiny = try SharedData.path("models/yolov3-tiny-coco/yolov3-tiny.cfg")
        fails(try CLI.run(["layers", tiny, "--width", "7", "--height", "416"]), containing: "(the input size 7×416 is not a multiple of 32")
        fails(try CLI.run(["benchmark", "--cfg", dir + "/t.cfg", "--data", "x.data"]), status: 64, containing: "--data goes with --loader")
        fails(try CLI.run(["dataset", "sample", "--out", dir + "/s.bmp"]), containing: dir + "/s.bmp: cannot write .bmp files; name it .jpg or .png")
    }

    func testResumingAFinishedRunSaysSo() throws {
        let dataset = dir + "/shapes"
        XCTAssertEqual(try CLI.run(["dataset", "shapes", "--out", dataset, "--count", "10", "--size", "32"]).status, 0)
        try cfg.replacingOccurrences(of: "classes=2", with: "classes=5").replacingOccurrences(of: "filters=14", with: "filters=20")
            .write(toFile: dir + "/five.cfg", atomically: true, encoding: .utf8)
        let first = try CLI.run(["train", dir + "/five.cfg", "--data", dataset + "/shapes.data", "--max-batches", "2", "--backup", dir + "/bk"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let weights = dir + "/bk/five_final.weights"
        let before = try Data(contentsOf: URL(fileURLWithPath: weights))
        fails(try CLI.run(["train", dir + "/five.cfg", "--data", dataset + "/shapes.data", "--max-batches", "2", "--backup", dir + "/bk", "--weights", weights]), status: 64,
              containing: "was saved at iteration 2, at or past max_batches=2: nothing left to train")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: weights)), before)
    }

    func testClassifierAugmentValuesAreCfgErrors() throws {
        let dataset = dir + "/cls"
        XCTAssertEqual(try CLI.run(["dataset", "shapes", "--classification", "--out", dataset, "--count", "10", "--size", "32"]).status, 0)
        let cfg = SharedData.projectRoot.appendingPathComponent("cfg/csdarknet-shapes.cfg").path
        fails(try CLI.run(["augment", "--cfg", cfg, "--data", dataset + "/shapes.data", "--count", "1", "--out", dir + "/aug", "--set", "net.aspect=0"]),
              containing: "error: " + cfg + ":7: aspect, saturation and exposure must be > 0")   // the [net] line
        fails(try CLI.run(["train", cfg, "--data", dataset + "/shapes.data", "--set", "net.aspect=0", "--max-batches", "1", "--backup", dir + "/bk"]),
              containing: "aspect, saturation and exposure must be > 0")
    }

    func testOverrideAndWriterEdgeCases() throws {
        fails(try CLI.run(["layers", dir + "/t.cfg", "--set", "all.bogus=1"]), status: 64, containing: "no layer section of \(dir)/t.cfg sets 'bogus'")
        fails(try CLI.run(["train", dir + "/t.cfg", "--data", "x.data", "--map-interval", "-1"]), status: 64, containing: "--map-interval must be at least 1")
        // partial never writes over its own inputs, also through a link.
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.weights", withDestinationPath: dir + "/t.weights")
        fails(try CLI.run(["partial", dir + "/t.cfg", dir + "/t.weights", dir + "/link.weights", "1"]), status: 64, containing: "would overwrite an input file")
        fails(try CLI.run(["partial", dir + "/t.cfg", dir + "/t.weights", dir + "/t.cfg", "1"]), status: 64, containing: "would overwrite an input file")
        XCTAssertEqual(try String(contentsOfFile: dir + "/t.cfg", encoding: .utf8), cfg)
        // A FIFO (or /dev/stdout) is written through, never replaced by a regular file.
        XCTAssertEqual(mkfifo(dir + "/pipe", 0o644), 0)
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/cat")
        reader.arguments = [dir + "/pipe"]
        let out = Pipe()
        reader.standardOutput = out
        try reader.run()
        let r = try CLI.run(["cfg", "shapes", "--out", dir + "/pipe"])
        XCTAssertEqual(r.status, 0, r.stderr)
        reader.waitUntilExit()
        XCTAssertTrue(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).hasPrefix("# shapes.cfg"))
        var info = stat()
        XCTAssertEqual(stat(dir + "/pipe", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO)
    }

    func testClassifyOnADetectorSaysUseDetect() throws {
        fails(try CLI.run(["classify", dir + "/img.jpg"] + model()), status: 64, containing: "a detection network ([yolo]/[region] layers), not a classifier")
    }
}
