import Foundation
import TestSupport
import XCTest

/// `Examples/DetectApp` depends on swiftnet by URL and version, as a user's package does: resolved here against a
/// tagged clone of this repository through a `file://` URL with `from:`, built, and run.
final class ExamplePackageTests: XCTestCase {
    @discardableResult
    func run(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testExampleBuildsAgainstATaggedCloneByURL() throws {
        let root = SharedData.projectRoot.path
        guard FileManager.default.fileExists(atPath: root + "/.git") else { throw XCTSkip("not a git checkout") }
        let model = try SharedData.path("models/yolov3-tiny-coco")
        let image = try SharedData.path("images/dog.jpg")
        let work = try SharedData.temporaryDirectory()
        let clone = work + "/swiftnet"
        var r = try run(["git", "clone", "--quiet", root, clone])
        XCTAssertEqual(r.status, 0, r.output)
        r = try run(["git", "-C", clone, "tag", "0.10.0"])
        XCTAssertEqual(r.status, 0, r.output)
        r = try run(["cp", "-R", root + "/Examples/DetectApp", work + "/DetectApp"])
        XCTAssertEqual(r.status, 0, r.output)
        let env = ["SWIFTNET_URL": "file://" + clone]
        r = try run(["swift", "build", "--package-path", work + "/DetectApp", "--scratch-path", work + "/build"], environment: env)
        XCTAssertEqual(r.status, 0, r.output)
        let resolved = try String(contentsOfFile: work + "/DetectApp/Package.resolved", encoding: .utf8)
        XCTAssertTrue(resolved.contains("\"version\" : \"0.10.0\""), resolved)
        r = try run([work + "/build/debug/DetectApp", model + "/yolov3-tiny.cfg", model + "/yolov3-tiny.weights", model + "/coco.names", image])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.hasPrefix("\(image): 6 objects\n"), r.output)
        XCTAssertTrue(r.output.contains("\ndog 0.8"), r.output)
    }
}
