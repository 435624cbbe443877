import Foundation
import Swiftnet
import SwiftnetFormat
import SwiftnetLayers
import TestSupport
import XCTest

/// The umbrella module as a user's code calls it.
final class DetectorTests: XCTestCase {
    func model() throws -> (cfg: String, weights: String, names: String) {
        let dir = try SharedData.path("models/yolov3-tiny-coco")
        return (dir + "/yolov3-tiny.cfg", dir + "/yolov3-tiny.weights", dir + "/coco.names")
    }

    /// darknet's own detections (the oracle) for the shared photos, by name and within 0.001 of confidence.
    func testDetectsWhatDarknetDetects() async throws {
        let (cfg, weights, names) = try model()
        let detector = try Detector(cfg: cfg, weights: weights, names: names)
        XCTAssertEqual(detector.names.count, 80)
        XCTAssertEqual(detector.inputWidth, 416)
        let oracle = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath:
            try SharedData.path("oracle/detect/yolov3-tiny-coco_thresh0.25.json")))) as? [[String: Any]])
        for frame in oracle {
            let file = try XCTUnwrap(frame["filename"] as? String)
            let expected = try XCTUnwrap(frame["objects"] as? [[String: Any]])
            let result = try await detector.detect(imageAt: try SharedData.path("images/" + file))
            XCTAssertEqual(result.objects.count, expected.count, file)
            for (object, reference) in zip(result.objects, expected) {
                XCTAssertEqual(object.name, reference["name"] as? String, file)
                XCTAssertEqual(Double(object.confidence), try XCTUnwrap(reference["confidence"] as? Double), accuracy: 1e-3, file)
                let r = try XCTUnwrap(reference["relative_coordinates"] as? [String: Double])
                XCTAssertEqual(Double(object.relativeBox.centerX), r["center_x"]!, accuracy: 2e-3, file)
                // Pixel boxes are the relative box scaled to the image.
                XCTAssertEqual(object.box.width, Double(object.relativeBox.width) * Double(result.imageSize.width), accuracy: 1e-6)
                XCTAssertEqual(object.box.x + object.box.width / 2, Double(object.relativeBox.centerX) * Double(result.imageSize.width), accuracy: 1e-4)
            }
        }
    }

    /// Many tasks share one detector; batching changes nothing in the results, and passes do take several images.
    func testConcurrentCallsAreBatchedWithTheSameResults() async throws {
        let (cfg, weights, names) = try model()
        let files = try ["dog", "eagle", "person"].map { try SharedData.path("images/\($0).jpg") }
        let single = try Detector(cfg: cfg, weights: weights, names: names)
        var expected: [[DetectedObject]] = []
        for file in files { expected.append(try await single.detect(imageAt: file).objects) }
        let batched = try Detector(cfg: cfg, weights: weights, names: names, maxBatch: 4, maxWait: 0.05)
        let results = try await withThrowingTaskGroup(of: (Int, DetectionResult).self) { group in
            for k in 0..<9 { group.addTask { (k, try await batched.detect(imageAt: files[k % 3])) } }
            var all: [(Int, DetectionResult)] = []
            for try await r in group { all.append(r) }
            return all
        }
        for (k, result) in results {
            XCTAssertEqual(result.objects.map(\.name), expected[k % 3].map(\.name))
            for (a, b) in zip(result.objects, expected[k % 3]) { XCTAssertEqual(a.confidence, b.confidence, accuracy: 1e-5) }
        }
        XCTAssertGreaterThan(results.map(\.1.timing.batchSize).max() ?? 0, 1, "concurrent calls share passes")
    }

    func testOptionsDataAndPixels() async throws {
        let (cfg, weights, names) = try model()
        let detector = try Detector(cfg: cfg, weights: weights, names: names)
        let file = try SharedData.path("images/dog.jpg")
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        let fromFile = try await detector.detect(imageAt: file)
        let fromData = try await detector.detect(data: data)
        XCTAssertEqual(fromFile.objects, fromData.objects)
        let low = try await detector.detect(data: data, options: DetectionOptions(threshold: 0.05))
        XCTAssertGreaterThan(low.objects.count, fromFile.objects.count)
        // A truncated JPEG is an error with the CLI's message.
        do {
            _ = try await detector.detect(data: data.prefix(data.count / 3))
            XCTFail("a truncated JPEG must fail")
        } catch let error as LocalizedError {
            XCTAssertTrue(error.errorDescription?.contains("truncated") == true, "\(error)")
        }
    }

    func testABadCfgIsALocalizedErrorNamingTheFile() throws {
        let dir = try SharedData.temporaryDirectory()
        try "[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilters=x\n".write(toFile: dir + "/bad.cfg", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Detector(cfg: dir + "/bad.cfg", weights: dir + "/none.weights")) { error in
            XCTAssertEqual((error as? LocalizedError)?.errorDescription, "\(dir)/bad.cfg:6: filters: expected an integer, got 'x'")
        }
    }

    /// A full queue refuses at once instead of waiting without bound.
    func testAFullQueueRefuses() async throws {
        let (cfg, weights, names) = try model()
        let detector = try Detector(cfg: cfg, weights: weights, names: names, maxBatch: 1, maxWait: 0, maxQueue: 1)
        let file = try SharedData.path("images/dog.jpg")
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    do { _ = try await detector.detect(data: data); return true } catch DetectorError.overloaded { return false } catch { return true }
                }
            }
            var all: [Bool] = []
            for await o in group { all.append(o) }
            return all
        }
        XCTAssertTrue(outcomes.contains(false), "some calls are refused")
        XCTAssertTrue(outcomes.contains(true), "some calls run")
    }

    func testClassifierTopK() async throws {
        let dir = try SharedData.temporaryDirectory()
        let cfg = SharedData.projectRoot.appendingPathComponent("cfg/csdarknet-shapes.cfg").path
        let network = try Network(config: NetworkConfig(contentsOf: cfg))
        network.randomizeParameters(seed: 3)
        try network.saveWeights(path: dir + "/c.weights")
        let classifier = try Classifier(cfg: cfg, weights: dir + "/c.weights", top: 3)
        let result = try await classifier.classify(imageAt: SharedData.projectRoot.appendingPathComponent("data/sample.jpg").path)
        XCTAssertEqual(result.classes.count, 3)
        XCTAssertEqual(result.classes.map(\.probability), result.classes.map(\.probability).sorted(by: >))
        XCTAssertEqual(result.imageSize, ImageSizeValue(width: 320, height: 320))
        let detector = try model()
        XCTAssertThrowsError(try Classifier(cfg: detector.cfg, weights: detector.weights)) { error in
            XCTAssertTrue("\(error)".contains("not a classifier"), "\(error)")
        }
    }
}
