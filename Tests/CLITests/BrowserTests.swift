import Foundation
import SwiftnetData
import TestSupport
import XCTest

/// The page of `swiftnet serve` in a real browser: headless Chromium (driven by scripts/browser_check.py) picks
/// data/sample.jpg, and the drawn result must list what `swiftnet detect` finds and show the boxes.
final class BrowserTests: XCTestCase {
    func testPageDrawsTheDetections() throws {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("\(tool) is not installed (make test installs chromium and chromium-driver)")
        }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", "import selenium"]
        try check.run()
        check.waitUntilExit()
        guard check.terminationStatus == 0 else { throw XCTSkip("python3 has no selenium (make test installs it)") }

        let root = SharedData.projectRoot.path
        let sample = root + "/data/sample.jpg"
        let server = try ServeTests.Server([])
        defer { _ = server.stop() }
        let screenshot = try SharedData.temporaryDirectory() + "/page.png"
        let browser = Process()
        browser.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        browser.arguments = ["python3", root + "/scripts/browser_check.py", "http://127.0.0.1:\(server.port)/", sample, screenshot]
        let out = Pipe(), err = Pipe()
        browser.standardOutput = out
        browser.standardError = err
        try browser.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        browser.waitUntilExit()
        XCTAssertEqual(browser.terminationStatus, 0, errors)
        let page = try XCTUnwrap(JSONSerialization.jsonObject(with: output) as? [String: Any], errors)

        // The page lists what the command line finds, in the same order.
        let json = try SharedData.temporaryDirectory() + "/r.json"
        let cli = try CLI.run(["detect", sample, "--out", json])
        XCTAssertEqual(cli.status, 0, cli.stderr)
        let frames = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [[String: Any]])
        let expected = try XCTUnwrap(frames.first?["objects"] as? [[String: Any]]).compactMap { $0["name"] as? String }
        let listed = try XCTUnwrap(page["objects"] as? [[String: Any]]).compactMap { $0["name"] as? String }
        XCTAssertFalse(expected.isEmpty)
        XCTAssertEqual(listed, expected)
        let picture = try ImageIO.readRGB(sample)
        XCTAssertEqual(page["canvas"] as? [Int], [picture.width, picture.height])
        XCTAssertEqual(page["status"] as? String, "\(expected.count) objects in " + ((page["status"] as? String)?.split(separator: " ").dropFirst(3).joined(separator: " ") ?? ""))

        // The screenshot shows the picture with boxes drawn in the page's class colours.
        let shot = try ImageIO.readRGB(screenshot)
        XCTAssertGreaterThanOrEqual(shot.width, 800)
        let palette: Set<[UInt8]> = [[0xe6, 0x19, 0x4b], [0x3c, 0xb4, 0x4b], [0x43, 0x63, 0xd8], [0xf5, 0x82, 0x31], [0x91, 0x1e, 0xb4]]
        var boxPixels = 0
        for i in stride(from: 0, to: shot.pixels.count, by: 3) where palette.contains(Array(shot.pixels[i..<(i + 3)])) { boxPixels += 1 }
        XCTAssertGreaterThan(boxPixels, 200, "box outlines in the screenshot")
    }
}
