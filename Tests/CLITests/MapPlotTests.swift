import Foundation
import SwiftnetData
import TestSupport
import XCTest

/// `map --plot`: precision–recall curves read back from the PNGs, on a case worked out by hand.
///
/// One 100×100 image with two objects of class "box" and three detections: 0.9 on the first object, 0.8 on
/// nothing, 0.7 on the second. After each rank: (recall, precision) = (0.5, 1), (0.5, 0.5), (1, 2/3). The area under
/// the envelope sums (0.5, 1) and (1, 2/3): AP = 0.5 + 0.5 · 2/3 = 83.33 %. With 11 points, levels 0…0.5 take 1 and
/// 0.6…1 take 2/3: AP = (6 + 5 · 2/3) / 11 = 84.85 %.
final class MapPlotTests: XCTestCase {
    let curve = Color(38, 139, 210), mark = Color(220, 50, 47)

    func makeCase(_ dir: String) throws -> (gt: String, detections: String) {
        let gt = """
        {"images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 100}],
         "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400, "iscrowd": 0},
                         {"id": 2, "image_id": 1, "category_id": 1, "bbox": [60, 60, 30, 30], "area": 900, "iscrowd": 0}],
         "categories": [{"id": 1, "name": "box"}]}
        """
        let detections = """
        [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9},
         {"image_id": 1, "category_id": 1, "bbox": [40, 0, 10, 10], "score": 0.8},
         {"image_id": 1, "category_id": 1, "bbox": [60, 60, 30, 30], "score": 0.7}]
        """
        try gt.write(toFile: dir + "/gt.json", atomically: true, encoding: .utf8)
        try detections.write(toFile: dir + "/det.json", atomically: true, encoding: .utf8)
        return (dir + "/gt.json", dir + "/det.json")
    }

    /// The plots' frame: 640×480, plot area from (60, 36) to (624, 440), recall 0…1 across, precision 0…1.02 up.
    func pixel(_ recall: Double, _ precision: Double) -> (x: Int, y: Int) {
        (Int((60 + recall * 564).rounded()), Int((440 - precision / 1.02 * 404).rounded()))
    }

    func color(_ image: RGBImage, _ p: (x: Int, y: Int)) -> Color {
        let i = 3 * (p.y * image.width + p.x)
        return Color(image.pixels[i], image.pixels[i + 1], image.pixels[i + 2])
    }

    func testCurvesMarkThePointsDarknetIntegrates() throws {
        let dir = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (gt, detections) = try makeCase(dir)
        let r = try CLI.run(["map", "--gt", gt, "--detections", detections, "--plot", dir + "/curves"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("ap = 83.33%"), r.stdout)
        let image = try ImageIO.readRGB(dir + "/curves/pr_0_box.png")
        XCTAssertEqual(image.width, 640)
        XCTAssertEqual(image.height, 480)
        XCTAssertEqual(color(image, pixel(0.5, 1)), mark)
        // (The frame is drawn over the plot's edges: the marker at recall 1 is checked 2 pixels inside.)
        XCTAssertEqual(color(image, (pixel(1, 2.0 / 3).x - 2, pixel(1, 2.0 / 3).y)), mark)
        // Rank 2 (recall 0.5, precision 0.5) is on the curve but not a summed point.
        XCTAssertEqual(color(image, pixel(0.5, 0.5)), curve)
        // The curve's vertical drop at recall 0.5 from precision 1 to 0.5, and nothing at recall 0.25, precision 0.7.
        XCTAssertEqual(color(image, pixel(0.5, 0.75)), curve)
        XCTAssertEqual(color(image, pixel(0.25, 0.7)), Color(255, 255, 255))
        // The frame.
        XCTAssertEqual(color(image, (60, 200)), Color(0, 0, 0))
        XCTAssertEqual(color(image, (624, 200)), Color(0, 0, 0))
        XCTAssertEqual(color(image, (300, 440)), Color(0, 0, 0))

        let eleven = try CLI.run(["map", "--gt", gt, "--detections", detections, "--points", "11", "--plot", dir + "/eleven"])
        XCTAssertEqual(eleven.status, 0, eleven.stderr)
        XCTAssertTrue(eleven.stdout.contains("ap = 84.85%"), eleven.stdout)
        let points = try ImageIO.readRGB(dir + "/eleven/pr_0_box.png")
        XCTAssertEqual(color(points, (pixel(0, 1).x + 2, pixel(0, 1).y)), mark, "level 0")
        for level in [0.1, 0.2, 0.3, 0.4] { XCTAssertEqual(color(points, pixel(level, 1)), mark, "level \(level)") }
        for level in [0.6, 0.7, 0.8, 0.9] { XCTAssertEqual(color(points, pixel(level, 2.0 / 3)), mark, "level \(level)") }

        // The mean over the one class: interpolated precision 1 up to recall 0.5, then 2/3.
        let mean = try ImageIO.readRGB(dir + "/curves/pr_mean.png")
        XCTAssertEqual(color(mean, pixel(0.3, 1)), curve)
        XCTAssertEqual(color(mean, pixel(0.8, 2.0 / 3)), curve)
        XCTAssertEqual(color(mean, pixel(0.75, 0.9)), Color(255, 255, 255))
    }
}
