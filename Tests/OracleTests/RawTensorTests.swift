import Foundation
import SwiftnetData
import SwiftnetDetect
import SwiftnetFormat
import SwiftnetLayers
import TestSupport
import XCTest

/// `[yolo]` outputs on lossless PNG inputs equal darknet's stored tensors.
final class RawTensorTests: XCTestCase {
    func network(cfg: String, weights: String) throws -> Network {
        let network = try Network(cfgPath: cfg)
        try network.loadWeights(path: weights)
        network.prepareForInference()
        return network
    }

    func compareYolo(_ network: Network, model: String, image: String, tolerance: Float) throws {
        let detector = try DetectionPipeline(network: network)
        let png = try ImageIO.load(try SharedData.path("oracle/raw/images/\(image).png"))
        detector.forward(detector.preprocess(png))
        var compared = 0
        for case let yolo as YoloLayer in network.layers {
            let reference = try NPY.read(path: try SharedData.path(String(format: "oracle/raw/\(model)/\(image)/yolo_%03d.npy", yolo.index)))
            let s = yolo.outputShape
            XCTAssertEqual(reference.shape, [1, s.c, s.h, s.w])
            let ours = yolo.output.array
            let worst = zip(ours, reference.values).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(worst, tolerance, "\(model)/\(image) layer \(yolo.index)")
            compared += 1
        }
        XCTAssertGreaterThan(compared, 0)
    }

    func testYolov3TinyRawOutputs() throws {
        let dir = try SharedData.path("models/yolov3-tiny-coco")
        let net = try network(cfg: dir + "/yolov3-tiny.cfg", weights: dir + "/yolov3-tiny.weights")
        for image in ["dog", "person"] { try compareYolo(net, model: "yolov3-tiny-coco", image: image, tolerance: 1e-4) }
    }

    func testYolov4Tiny10cRawOutputs() throws {
        let dir = try SharedData.path("models/yolov4-tiny-10c")
        let net = try network(cfg: dir + "/yolov4-tiny-10c.cfg", weights: dir + "/yolov4-tiny-final.weights")
        for image in ["eagle", "person"] { try compareYolo(net, model: "yolov4-tiny-10c", image: image, tolerance: 1e-4) }
    }

    /// darknet's network input for dog.png: its resize and /255 normalisation.
    func testPreprocessedInputMatchesDarknet() throws {
        let reference = try NPY.read(path: try SharedData.path("oracle/raw/yolov3-tiny-coco/dog/input.npy"))
        XCTAssertEqual(reference.shape, [1, 3, 416, 416])
        let image = try ImageIO.load(try SharedData.path("oracle/raw/images/dog.png"))
        let resized = image.resized(width: 416, height: 416)
        let worst = zip(resized.data, reference.values).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(worst, 1e-6)
    }

    /// The deep random-weight yolov4-pacsp-mish (weights regenerated with the shared tool, seed 1).
    func testYolov4PacspMishRandomWeights() throws {
        let cfg = try SharedData.path("cfg/yolov4-pacsp-mish.cfg")
        let weights = try GeneratedWeights.path(cfg: cfg, seed: 1, name: "yolov4-pacsp-mish_seed1.weights",
                                                sha256: "4aa8b04751dea89d5846239e5405208a5820e9e32b57c2f7d7d228ff7c139893")
        try compareYolo(try network(cfg: cfg, weights: weights), model: "yolov4-pacsp-mish_seed1", image: "dog", tolerance: 1e-3)
    }
}

/// Random weights made by `../shared/tools/make_weights.py` (needs python3 with numpy), cached under `.build/`.
enum GeneratedWeights {
    static func path(cfg: String, seed: Int, name: String, sha256: String) throws -> String {
        let cache = SharedData.projectRoot.appendingPathComponent(".build/test-cache")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        let out = cache.appendingPathComponent(name).path
        if try !FileManager.default.fileExists(atPath: out) || digest(out) != sha256 {
            let tool = try SharedData.path("tools/make_weights.py")
            let status = try run("/usr/bin/env", ["python3", tool, cfg, out, "--seed", String(seed)])
            guard status == 0 else { throw XCTSkip("make_weights.py failed (python3 with numpy is needed): status \(status)") }
        }
        let got = try digest(out)
        XCTAssertEqual(got, sha256, "regenerated weights differ from the reference's")
        return out
    }

    static func digest(_ path: String) throws -> String {
        let pipe = Pipe()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["sha256sum", path]
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }
}
