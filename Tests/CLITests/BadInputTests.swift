import Foundation
import SwiftnetData
import TestSupport
import XCTest

/// Bad input gives a non-zero exit and one clear message naming the file (and line for cfg problems);
/// never a crash, trap or hang.
final class BadInputTests: XCTestCase {
    var dir = ""
    let tinyCfg = TinyCfg.detector(batchNormalize: true)

    override func setUpWithError() throws {
        dir = try SharedData.temporaryDirectory()
        try tinyCfg.write(toFile: dir + "/tiny.cfg", atomically: true, encoding: .utf8)
        // 12·(1+3·3·3 + 3 BN) + 14·(1 + 12) floats = 12·31 + 182 = 554 floats.
        var data = Data([0, 0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        data.append(Data(repeating: 0, count: 4 * 554))
        try data.write(to: URL(fileURLWithPath: dir + "/tiny.weights"))
        try "a\nb\n".write(toFile: dir + "/tiny.names", atomically: true, encoding: .utf8)
        try writeTinyJPEG(dir + "/ok.jpg")
    }

    func writeTinyJPEG(_ path: String) throws {
        var image = RGBImage(width: 40, height: 30)
        for i in 0..<image.pixels.count { image.pixels[i] = UInt8(truncatingIfNeeded: i &* 7) }
        try ImageIO.write(image, to: path)
        try ImageIO.write(image, to: dir + "/ok.png")
    }

    func detect(_ image: String, cfg: String? = nil, weights: String? = nil, extra: [String] = []) throws -> CLI.Result {
        try CLI.run(["detect", image, "--cfg", cfg ?? dir + "/tiny.cfg", "--weights", weights ?? dir + "/tiny.weights", "--names", dir + "/tiny.names"] + extra)
    }

    func assertFails(_ r: CLI.Result, status: Int32 = 65, message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(r.crashed, "crashed: \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.status, status, r.stderr, file: file, line: line)
        let lines = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("warning:") }
        XCTAssertEqual(lines.count, 1, "one message expected: \(r.stderr)", file: file, line: line)
        XCTAssertEqual(lines.first.map(String.init), "error: " + message, file: file, line: line)
    }

    func testHappyPathStillWorks() throws {
        let r = try detect(dir + "/ok.jpg")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix(dir + "/ok.jpg: Predicted in "), r.stdout)
    }

    func testMissingCfg() throws {
        assertFails(try detect(dir + "/ok.jpg", cfg: dir + "/none.cfg"), message: dir + "/none.cfg: no such file")
    }

    func testMalformedCfgLineNamesFileAndLine() throws {
        try tinyCfg.replacingOccurrences(of: "size=1", with: "size 1").write(toFile: dir + "/bad.cfg", atomically: true, encoding: .utf8)
        assertFails(try detect(dir + "/ok.jpg", cfg: dir + "/bad.cfg"), message: dir + "/bad.cfg:13: expected key=value, got 'size1'")
    }

    func testMissingWeights() throws {
        assertFails(try detect(dir + "/ok.jpg", weights: dir + "/none.weights"), message: dir + "/none.weights: no such file")
    }

    func testTruncatedWeightsNamesTheLayer() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/tiny.weights"))
        try data.prefix(data.count - 100).write(to: URL(fileURLWithPath: dir + "/short.weights"))
        let r = try detect(dir + "/ok.jpg", weights: dir + "/short.weights")
        assertFails(r, message: dir + "/short.weights: file is 2136 bytes but this cfg needs 2236; it ends inside layer 1 (convolutional), which needs bytes 1508..<2236 — truncated file or weights for a different cfg?")
    }

    func testOverlongWeights() throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: dir + "/tiny.weights"))
        data.append(Data(repeating: 0, count: 8))
        try data.write(to: URL(fileURLWithPath: dir + "/long.weights"))
        assertFails(try detect(dir + "/ok.jpg", weights: dir + "/long.weights"),
                    message: dir + "/long.weights: file is 2244 bytes but this cfg needs exactly 2236: 8 bytes are left after the last parameters (layer 1 (convolutional)) — weights for a different cfg?")
    }

    func testMissingImage() throws {
        assertFails(try detect(dir + "/none.jpg"), message: dir + "/none.jpg: no such file")
    }

    func testNonImageFile() throws {
        try "just text\n".write(toFile: dir + "/text.jpg", atomically: true, encoding: .utf8)
        let r = try detect(dir + "/text.jpg")
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n"), [
            "error: \(dir)/text.jpg: not a JPEG or PNG image (unrecognised file signature) (skipped)",
            "1 of 1 images could not be read and were skipped",
        ])
    }

    /// One unreadable image in a list loses nothing else: the others' results are printed and written, the
    /// failure is named, the last line counts it and the status is 65.
    func testBadImageInAListIsSkippedAndTheOthersAreWritten() throws {
        try Data().write(to: URL(fileURLWithPath: dir + "/empty.jpg"))
        try "\(dir)/ok.jpg\n\(dir)/empty.jpg\n\(dir)/ok.jpg\n".write(toFile: dir + "/list.txt", atomically: true, encoding: .utf8)
        let r = try detect(dir + "/list.txt", extra: ["--out", dir + "/l.json"])
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("error: \(dir)/empty.jpg: empty file (skipped)"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").last.map(String.init),
                       "1 of 3 images could not be read and were skipped; the results of the other 2 are in \(dir)/l.json")
        let frames = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/l.json"))) as? [[String: Any]])
        XCTAssertEqual(frames.map { $0["frame_id"] as? Int }, [1, 3])
        XCTAssertEqual(r.stdout.components(separatedBy: "Predicted in").count - 1, 2)
    }

    func testCorruptJPEG() throws {
        let jpeg = try Data(contentsOf: URL(fileURLWithPath: dir + "/ok.jpg"))
        try jpeg.prefix(jpeg.count / 2).write(to: URL(fileURLWithPath: dir + "/half.jpg"))
        let r = try detect(dir + "/half.jpg")
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.hasPrefix("error: " + dir + "/half.jpg: corrupt or unsupported JPEG"), r.stderr)
        var garbage = Data([0xFF, 0xD8, 0xFF, 0xE0])
        garbage.append(Data((0..<500).map { UInt8(truncatingIfNeeded: $0 &* 37) }))
        try garbage.write(to: URL(fileURLWithPath: dir + "/garbage.jpg"))
        let g = try detect(dir + "/garbage.jpg")
        XCTAssertFalse(g.crashed)
        XCTAssertEqual(g.status, 65)
        XCTAssertTrue(g.stderr.hasPrefix("error: " + dir + "/garbage.jpg: corrupt or unsupported JPEG"), g.stderr)
    }

    func testCorruptPNG() throws {
        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        png.append(Data(repeating: 7, count: 64))
        try png.write(to: URL(fileURLWithPath: dir + "/bad.png"))
        let r = try detect(dir + "/bad.png")
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.hasPrefix("error: " + dir + "/bad.png: corrupt or unsupported PNG"), r.stderr)
    }

    func testDirectoryAsCfgAndBinaryAsCfg() throws {
        assertFails(try detect(dir + "/ok.jpg", cfg: dir), message: dir + ": is a directory, expected a file")
        assertFails(try detect(dir + "/ok.jpg", cfg: dir + "/tiny.weights"), message: dir + "/tiny.weights: binary data, expected a text file")
    }

    func testNamesFileTooShort() throws {
        try "only\n".write(toFile: dir + "/one.names", atomically: true, encoding: .utf8)
        let r = try CLI.run(["detect", dir + "/ok.jpg", "--cfg", dir + "/tiny.cfg", "--weights", dir + "/tiny.weights", "--names", dir + "/one.names"])
        assertFails(r, message: dir + "/one.names: has 1 class names but the network has 2 classes")
    }

    func testLayersCommandOnBadCfg() throws {
        try tinyCfg.replacingOccurrences(of: "filters=14", with: "filters=15").write(toFile: dir + "/mismatch.cfg", atomically: true, encoding: .utf8)
        let r = try CLI.run(["layers", dir + "/mismatch.cfg"])
        assertFails(r, message: dir + "/mismatch.cfg:15: [yolo] (layer 2): the previous layer has filters=15, but [yolo] with 2 anchors in mask and classes=2 needs filters=14 (= 2·(classes+5))")
    }

    func testStrictMakesUnusedKeysErrors() throws {
        try (tinyCfg + "\nfoo=1\n").write(toFile: dir + "/unused.cfg", atomically: true, encoding: .utf8)
        let lenient = try CLI.run(["layers", dir + "/unused.cfg"])
        XCTAssertEqual(lenient.status, 0)
        XCTAssertTrue(lenient.stderr.contains("warning: " + dir + "/unused.cfg:20: unused key 'foo' in [yolo]"), lenient.stderr)
        assertFails(try CLI.run(["layers", "--strict", dir + "/unused.cfg"]), message: dir + "/unused.cfg:20: unused key 'foo' in [yolo] (--strict)")
    }
}
