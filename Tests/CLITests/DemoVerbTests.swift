import Foundation
import TestSupport
import XCTest

/// The three verbs as a new user types them: `train CFG` and `map` without `--data` use the cached shapes demo
/// dataset.
final class DemoVerbTests: XCTestCase {
    /// Modification times and sizes of every file below `directory`.
    func snapshot(_ directory: String) throws -> [String: [Double]] {
        var result: [String: [Double]] = [:]
        let walker = try XCTUnwrap(FileManager.default.enumerator(atPath: directory))
        while let relative = walker.nextObject() as? String {
            let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/" + relative)
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            let date = try XCTUnwrap(attributes[.modificationDate] as? Date)
            result[relative] = [date.timeIntervalSince1970, Double(try XCTUnwrap(attributes[.size] as? Int))]
        }
        return result
    }

    func testTrainWithoutDataUsesTheCachedDemoDatasetAndResizesHeads() throws {
        let work = try SharedData.temporaryDirectory()
        let cache = work + "/cache"
        let env = ["XDG_CACHE_HOME": cache]
        let shapes = SharedData.projectRoot.appendingPathComponent("cfg/shapes.cfg").path
        let first = try CLI.run(["train", shapes, "--max-batches", "20"], directory: work, environment: env)
        XCTAssertEqual(first.status, 0, first.stderr)
        let lines = first.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].hasPrefix("generating the detection demo dataset (2000 images, once) in \(cache)/swiftnet/"), lines[0])
        XCTAssertTrue(lines[1].hasPrefix("no --data: training on the shapes demo detection dataset (5 classes"), lines[1])
        XCTAssertTrue(first.stdout.contains("checkpoints in backup/"), first.stdout)
        XCTAssertFalse(first.stdout.contains("heads resized"), "shapes.cfg already has 5 classes")
        // 20 iterations end inside shapes.cfg's burn_in=200: said before training starts.
        XCTAssertTrue(first.stderr.contains("warning: max_batches 20 ends inside burn_in=200: the learning rate only ramps up"), first.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/backup/shapes_final.weights"))
        // The cache folder is private to the user.
        let permissions = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: cache + "/swiftnet")[.posixPermissions] as? Int)
        XCTAssertEqual(permissions & 0o077, 0, String(permissions, radix: 8))

        let dataset = cache + "/swiftnet/shapes-detection-v1"
        let before = try snapshot(dataset)
        XCTAssertGreaterThan(before.count, 4000)   // 2000 images, 2000 label files, lists, names, .data, manifest

        // An 80-class cfg gets its heads resized to the demo's 5 classes; the dataset is reused as it is.
        let pacsp = SharedData.projectRoot.appendingPathComponent("cfg/yolov4-pacsp.cfg").path
        let second = try CLI.run(["train", pacsp, "--max-batches", "1", "--width", "128", "--height", "128"], directory: work, environment: env)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertFalse(second.stdout.contains("generating"), second.stdout)
        XCTAssertTrue(second.stdout.contains("heads resized from 80 to 5 classes"), second.stdout)
        XCTAssertTrue(second.stdout.contains("     1/1: loss "), second.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/backup/yolov4-pacsp_final.weights"))
        XCTAssertEqual(try snapshot(dataset), before)
        // `map --weights W` evaluates weights trained this way on the same data, with the bundled cfg.
        let check = try CLI.run(["map", "--weights", "backup/shapes_final.weights"], directory: work, environment: env)
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertTrue(check.stdout.hasPrefix("no --data: evaluating "), check.stdout)
        XCTAssertTrue(check.stdout.contains("with backup/shapes_final.weights on the shapes demo dataset's validation list"), check.stdout)
        XCTAssertTrue(check.stdout.contains("mean average precision (mAP@0.50) = "), check.stdout)
    }

    func testMapWithoutArgumentsEvaluatesTheBundledModelOnTheDemoValidationList() throws {
        let work = try SharedData.temporaryDirectory()
        let env = ["XDG_CACHE_HOME": work + "/cache"]
        let bare = try CLI.run(["map"], directory: work, environment: env)
        XCTAssertEqual(bare.status, 0, bare.stderr)
        XCTAssertTrue(bare.stdout.hasPrefix("no --data: evaluating "), bare.stdout)
        // stderr is a pipe here, not a terminal: progress comes as whole lines (at most one a second), never `\r`.
        XCTAssertFalse(bare.stderr.contains("\r"), bare.stderr)
        XCTAssertTrue(bare.stderr.contains("400/400 images\n"), bare.stderr)
        let data = work + "/cache/swiftnet/shapes-detection-v1/shapes.data"
        let root = SharedData.projectRoot.path
        let explicit = try CLI.run(["map", "--data", data, "--cfg", root + "/cfg/shapes.cfg", "--weights", root + "/data/shapes.weights"],
                                   directory: work, environment: env)
        XCTAssertEqual(explicit.status, 0, explicit.stderr)
        func ap50(_ text: String) -> String? {
            text.split(separator: "\n").first { $0.contains("mean average precision (mAP@0.50)") }.map(String.init)
        }
        XCTAssertNotNil(ap50(bare.stdout))
        XCTAssertEqual(ap50(bare.stdout), ap50(explicit.stdout))
        // The whole report (both protocols) is the same evaluation.
        XCTAssertEqual(bare.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().joined(separator: "\n"), explicit.stdout)
    }

    func testBrokenCacheIsRegeneratedNeverUsed() throws {
        let work = try SharedData.temporaryDirectory()
        let env = ["XDG_CACHE_HOME": work + "/cache"]
        let dataset = work + "/cache/swiftnet/shapes-detection-v1"
        XCTAssertEqual(try CLI.run(["map"], directory: work, environment: env).status, 0)
        let report = try CLI.run(["map"], directory: work, environment: env).stdout

        // A truncated image (a crash while copying, a full disk …) is noticed and the set generated again.
        let image = dataset + "/images/000003.jpg"
        let original = try Data(contentsOf: URL(fileURLWithPath: image))
        try original.prefix(100).write(to: URL(fileURLWithPath: image))
        let truncated = try CLI.run(["map"], directory: work, environment: env)
        XCTAssertEqual(truncated.status, 0, truncated.stderr)
        XCTAssertTrue(truncated.stderr.contains("is incomplete or changed (images/000003.jpg differs from the manifest): generating it again"), truncated.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: image)), original)
        XCTAssertEqual(truncated.stdout, report)

        // An interrupted generation leaves no manifest (it is written last): the folder is not used.
        try FileManager.default.removeItem(atPath: dataset + "/MANIFEST")
        try FileManager.default.removeItem(atPath: dataset + "/valid.txt")
        let interrupted = try CLI.run(["map"], directory: work, environment: env)
        XCTAssertEqual(interrupted.status, 0, interrupted.stderr)
        XCTAssertTrue(interrupted.stderr.contains("(no manifest): generating it again"), interrupted.stderr)
        XCTAssertEqual(interrupted.stdout, report)
    }
}
