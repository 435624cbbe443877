import Foundation
import XCTest
@testable import SwiftnetEval

final class ImageHeaderTests: XCTestCase {
    static func png(width: UInt32, height: UInt32) -> Data {
        var b: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]
        for v in [width, height] { b += [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        b += [8, 2, 0, 0, 0, 0, 0, 0, 0]
        return Data(b)
    }

    static func jpeg(width: UInt16, height: UInt16) -> Data {
        var b: [UInt8] = [0xFF, 0xD8]
        b += [0xFF, 0xE1, 0x00, 0x10] + [UInt8](repeating: 0x41, count: 14)          // APP1 to skip
        b += [0xFF, 0xC2, 0x00, 0x11, 0x08, UInt8(height >> 8), UInt8(height & 0xFF),
              UInt8(width >> 8), UInt8(width & 0xFF), 0x03] + [UInt8](repeating: 0, count: 9)
        return Data(b)
    }

    func testHeaders() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        func write(_ name: String, _ data: Data) throws -> String {
            let url = dir.appendingPathComponent(name)
            try data.write(to: url)
            return url.path
        }
        XCTAssertEqual(ImageHeader.size(ofImageAt: try write("a.png", Self.png(width: 640, height: 427))),
                       ImageSize(width: 640, height: 427))
        XCTAssertEqual(ImageHeader.size(ofImageAt: try write("a.jpg", Self.jpeg(width: 1280, height: 720))),
                       ImageSize(width: 1280, height: 720))
        var bmp = [UInt8](repeating: 0, count: 54)
        bmp[0] = 0x42; bmp[1] = 0x4D
        bmp[18] = 0x20; bmp[19] = 0x03                       // width 800
        bmp[22] = 0xA8; bmp[23] = 0xFD; bmp[24] = 0xFF; bmp[25] = 0xFF   // height -600 (top-down)
        XCTAssertEqual(ImageHeader.size(ofImageAt: try write("a.bmp", Data(bmp))), ImageSize(width: 800, height: 600))
        XCTAssertEqual(ImageHeader.size(ofImageAt: try write("a.ppm", Data("P6\n# c\n333 500\n255\n".utf8))),
                       ImageSize(width: 333, height: 500))
        XCTAssertNil(ImageHeader.size(ofImageAt: try write("bad.jpg", Data("not an image at all".utf8))))
        XCTAssertNil(ImageHeader.size(ofImageAt: dir.appendingPathComponent("missing.png").path))
    }

    /// A darknet list with real image headers supports both protocols without a COCO file.
    func testListRouteReadsSizesFromImages() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("v"), withIntermediateDirectories: true)
        try Self.png(width: 200, height: 100).write(to: dir.appendingPathComponent("v/000012.png"))
        try "0 0.5 0.5 0.2 0.4\n".write(to: dir.appendingPathComponent("v/000012.txt"), atomically: true, encoding: .utf8)
        try "v/000012.png\n".write(to: dir.appendingPathComponent("valid.txt"), atomically: true, encoding: .utf8)
        let gt = try GroundTruth.loadDarknetList(listPath: "valid.txt", names: ["thing"],
                                                 options: DarknetListOptions(baseDirectory: dir.path))
        XCTAssertEqual(gt.images, [EvalImage(id: 12, path: "v/000012.png", size: ImageSize(width: 200, height: 100))])
        XCTAssertEqual(gt.diagnostics.imageIdSource, "numeric file name")
        let object = try XCTUnwrap(gt.objects[0].first)
        XCTAssertEqual(object.annotationId, 1)
        let pixel = try XCTUnwrap(object.pixel)
        XCTAssertEqual(pixel.x, 80, accuracy: 1e-5)
        XCTAssertEqual(pixel.y, 30, accuracy: 1e-5)
        XCTAssertEqual(object.area, 40 * 40, accuracy: 1e-3)

        let results = #"[{"image_id": 12, "category_id": 0, "bbox": [80, 30, 40, 40], "score": 0.8}]"#
        let dets = try DetectionSet.parseCOCOResults(data: Data(results.utf8), name: "r.json", groundTruth: gt)
        let report = try Evaluator.evaluate(groundTruth: gt, detections: dets)
        XCTAssertEqual(report.darknet?.meanAveragePrecision, 1)
        // A perfect detection scores 1/(1 + 2.2e-16) per recall level in pycocotools; numpy's mean
        // of 101 such values is 0.9999999999999999.
        XCTAssertEqual(report.coco?.stats.ap50, 0.9999999999999999)
        XCTAssertEqual(report.coco?.stats.apSmall, -1)         // no small GT: excluded, pycocotools prints -1
    }
}
