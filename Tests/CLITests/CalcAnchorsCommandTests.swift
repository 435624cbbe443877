import Foundation
import TestSupport
import XCTest

/// `swiftnet calc-anchors` on a generated shapes dataset.
final class CalcAnchorsCommandTests: XCTestCase {
    /// The `avg IoU` percentages calc-anchors prints: the fitted anchors' first, then the cfg's.
    func averageIoUs(_ output: String) -> [Double] {
        output.split(separator: "\n").compactMap { line in
            guard let range = line.range(of: "avg IoU = ") else { return nil }
            return Double(line[range.upperBound...].prefix { $0 != " " })
        }
    }

    func testCalcAnchorsOnShapesAndWrite() throws {
        let dir = try SharedData.temporaryDirectory()
        let generated = try CLI.run(["dataset", "shapes", "--out", dir + "/shapes", "--count", "200"])
        XCTAssertEqual(generated.status, 0, generated.stderr)
        let cfg = dir + "/shapes.cfg"
        try FileManager.default.copyItem(atPath: SharedData.projectRoot.appendingPathComponent("cfg/shapes.cfg").path, toPath: cfg)

        let r = try CLI.run(["calc-anchors", "--data", dir + "/shapes/shapes.data", "--num", "6", "--cfg", cfg, "--write"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("in 160 images"), r.stdout)
        let anchorsLine = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.hasPrefix("anchors = ") })
        XCTAssertEqual(anchorsLine.dropFirst("anchors = ".count).split(separator: ",").count, 12)
        let scores = averageIoUs(r.stdout)
        XCTAssertEqual(scores.count, 2)
        XCTAssertGreaterThanOrEqual(scores[0], scores[1], r.stdout)
        XCTAssertTrue(r.stdout.contains("masks [3,4,5] [0,1,2]"), r.stdout)

        // The rewritten cfg loads, keeps its size, and its anchors now score at least as well as the shipped ones.
        XCTAssertEqual(try layersJSON(cfg)["weights_bytes"] as? Int, 4_637_892)
        let again = try CLI.run(["calc-anchors", "--data", dir + "/shapes/shapes.data", "--cfg", cfg])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertGreaterThanOrEqual(averageIoUs(again.stdout).last ?? 0, scores[1], again.stdout)

        // Nine anchors over the two heads: filters follow the new masks.
        let nine = try CLI.run(["calc-anchors", "--data", dir + "/shapes/shapes.data", "--num", "9", "--cfg", cfg, "--write"])
        XCTAssertEqual(nine.status, 0, nine.stderr)
        let layers = try XCTUnwrap(try layersJSON(cfg)["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.filter { $0["type"] as? String == "yolo" }.map { $0["output"] as? [Int] }, [[5, 5, 50], [10, 10, 40]])
    }

    /// `--set` changes the cfg read for this run (here its input size); with `--write` it is refused.
    func testOverridesApplyToTheRunButAreNeverWritten() throws {
        let dir = try SharedData.temporaryDirectory()
        let generated = try CLI.run(["dataset", "shapes", "--out", dir + "/shapes", "--count", "20"])
        XCTAssertEqual(generated.status, 0, generated.stderr)
        let cfg = SharedData.projectRoot.appendingPathComponent("cfg/shapes.cfg").path
        let r = try CLI.run(["calc-anchors", "--data", dir + "/shapes/shapes.data", "--cfg", cfg, "--set", "net.width=96", "--set", "net.height=64"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("96×64 input"), r.stdout)
        XCTAssertTrue(r.stderr.contains("(--set net.width=96)"), r.stderr)
        let w = try CLI.run(["calc-anchors", "--data", dir + "/shapes/shapes.data", "--cfg", cfg, "--set", "net.width=96", "--write"])
        XCTAssertEqual(w.status, 64)
        XCTAssertTrue(w.stderr.contains("leave it out with --write"), w.stderr)
    }

    func testSubpixelLabelsAreReported() throws {
        let dir = try SharedData.temporaryDirectory()
        XCTAssertEqual(try CLI.run(["dataset", "shapes", "--out", dir + "/shapes", "--count", "10", "--size", "64"]).status, 0)
        let image = try XCTUnwrap(try String(contentsOfFile: dir + "/shapes/train.txt", encoding: .utf8).split(separator: "\n").first)
        let label = String(image.dropLast(4)) + ".txt"
        try (try String(contentsOfFile: label, encoding: .utf8) + "0 0.5 0.5 0.000000001 0.3\n").write(toFile: label, atomically: true, encoding: .utf8)
        let r = try CLI.run(["calc-anchors", "--data", dir + "/shapes/shapes.data", "--num", "2", "--width", "64", "--height", "64"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("warning: 1 labels are smaller than one pixel at 64×64"), r.stderr)
    }

    func testWriteNeedsACfg() throws {
        let r = try CLI.run(["calc-anchors", "--data", "x.data", "--write"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("--write needs --cfg"), r.stderr)
    }

    func testMissingDataFileIsOneClearError() throws {
        let r = try CLI.run(["calc-anchors", "--data", "/nonexistent/x.data", "--width", "64", "--height", "64"])
        XCTAssertEqual(r.status, 65)
        XCTAssertFalse(r.crashed)
        XCTAssertTrue(r.stderr.contains("/nonexistent/x.data: no such file"), r.stderr)
    }
}
