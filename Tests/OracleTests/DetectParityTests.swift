import Foundation
import SwiftnetData
import SwiftnetDetect
import SwiftnetFormat
import SwiftnetLayers
import TestSupport
import XCTest

/// Real pretrained weights on the shared photos give darknet's detections (spec acceptance: same objects and
/// classes, probability within 0.01, box edges within 1.5 px).
final class DetectParityTests: XCTestCase {
    struct Model {
        var directory: String
        var cfg: String
        var weights: String
        var names: String
    }

    static let models = [
        Model(directory: "models/yolov3-tiny-coco", cfg: "yolov3-tiny.cfg", weights: "yolov3-tiny.weights", names: "coco.names"),
        Model(directory: "models/yolov4-tiny-10c", cfg: "yolov4-tiny-10c.cfg", weights: "yolov4-tiny-final.weights", names: "classes.names"),
    ]

    func detector(_ model: Model) throws -> (DetectionPipeline, [String]) {
        let dir = try SharedData.path(model.directory)
        let network = try Network(cfgPath: dir + "/" + model.cfg)
        try network.loadWeights(path: dir + "/" + model.weights)
        network.prepareForInference()
        return (try DetectionPipeline(network: network), try NamesFile.read(dir + "/" + model.names))
    }

    func testYolov3TinyMatchesDarknet() throws { try compare(Self.models[0], oracle: "yolov3-tiny-coco") }
    func testYolov4Tiny10cMatchesDarknet() throws { try compare(Self.models[1], oracle: "yolov4-tiny-10c") }

    func compare(_ model: Model, oracle: String) throws {
        let (detector, names) = try detector(model)
        for threshold: Float in [0.25, 0.05] {
            let path = try SharedData.path("oracle/detect/\(oracle)_thresh\(threshold == 0.25 ? "0.25" : "0.05").json")
            let reference = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [[String: Any]]
            XCTAssertEqual(reference.count, 3)
            for frame in reference {
                let filename = frame["filename"] as! String
                let image = try ImageIO.load(try SharedData.path("images/" + filename))
                let detections = detector.detect(image, threshold: threshold, nms: 0.45)
                let ours = expand(detections, names: names)
                let theirs = (frame["objects"] as! [[String: Any]]).map { o -> (Int, Float, [Float]) in
                    let r = o["relative_coordinates"] as! [String: Double]
                    return (o["class_id"] as! Int, Float(o["confidence"] as! Double),
                            [Float(r["center_x"]!), Float(r["center_y"]!), Float(r["width"]!), Float(r["height"]!)])
                }
                XCTAssertEqual(ours.count, theirs.count, "\(oracle) \(filename) @\(threshold): object count")
                var used = Set<Int>()
                for (cls, p, box) in theirs {
                    let match = ours.indices.first { j in
                        !used.contains(j) && ours[j].0 == cls && abs(ours[j].1 - p) <= 0.01
                            && edgesClose(ours[j].2, box, width: image.width, height: image.height)
                    }
                    guard let j = match else {
                        XCTFail("\(oracle) \(filename) @\(threshold): no match for \(names[cls]) \(p) \(box)")
                        continue
                    }
                    used.insert(j)
                }
            }
        }
    }

    /// (class, probability, box) for every class probability above 0.005, as darknet's JSON lists them.
    func expand(_ detections: [Detection], names: [String]) -> [(Int, Float, [Float])] {
        detections.flatMap { d in
            d.probabilities.enumerated().filter { $0.element > 0.005 }.map { ($0.offset, $0.element, [d.box.x, d.box.y, d.box.w, d.box.h]) }
        }
    }

    func edgesClose(_ a: [Float], _ b: [Float], width: Int, height: Int) -> Bool {
        let w = Float(width), h = Float(height)
        let ea = [(a[0] - a[2] / 2) * w, (a[0] + a[2] / 2) * w, (a[1] - a[3] / 2) * h, (a[1] + a[3] / 2) * h]
        let eb = [(b[0] - b[2] / 2) * w, (b[0] + b[2] / 2) * w, (b[1] - b[3] / 2) * h, (b[1] + b[3] / 2) * h]
        return zip(ea, eb).allSatisfy { abs($0 - $1) <= 1.5 }
    }
}
