import SwiftnetData
import SwiftnetDetect
import SwiftnetFormat
import SwiftnetLayers
import XCTest

/// `classify` and classifier `valid` preprocessing: darknet's `resize_min` (shorter side to the network width, the
/// other side `int(side·width/short)`) and a centre crop at `((w'−W) div 2, (h'−H) div 2)` (spec §5.5).
final class ClassifierPreprocessTests: XCTestCase {
    func classifier(width: Int, height: Int) throws -> ClassificationPipeline {
        let text = "[net]\nwidth=\(width)\nheight=\(height)\nchannels=3\n[avgpool]\n[softmax]\n"
        return ClassificationPipeline(network: try Network(config: NetworkConfig(text: text, path: "c.cfg"), batch: 1))
    }

    func image(width: Int, height: Int) -> Image {
        Image(width: width, height: height, channels: 3,
              data: (0..<(width * height * 3)).map { Float(($0 * 37) % 101) / 100 })
    }

    func testShorterSideResizeThenCentreCrop() throws {
        // (image size) → (resized size, crop offset) for a 4×4 network.
        let cases: [(w: Int, h: Int, rw: Int, rh: Int, dx: Int, dy: Int)] = [
            (8, 16, 4, 8, 0, 2),    // tall: width is the shorter side
            (10, 5, 8, 4, 2, 0),    // wide
            (7, 5, 5, 4, 0, 0),     // int(4·7/5) = 5, (5−4) div 2 = 0
            (3, 11, 4, 14, 0, 5),   // upscaled: int(4·11/3) = 14
            (6, 6, 4, 4, 0, 0),
        ]
        let c = try classifier(width: 4, height: 4)
        for t in cases {
            let source = image(width: t.w, height: t.h)
            let out = c.preprocess(source)
            XCTAssertEqual([out.width, out.height, out.channels], [4, 4, 3])
            let resized = source.resized(width: t.rw, height: t.rh)
            for ch in 0..<3 {
                for y in 0..<4 {
                    for x in 0..<4 {
                        XCTAssertEqual(out[x, y, ch], resized[x + t.dx, y + t.dy, ch], "\(t) at \(x),\(y),\(ch)")
                    }
                }
            }
        }
    }

    /// A non-square network crops height from the resized image the same way (darknet resizes by width only).
    func testNonSquareNetworkCropsFromTheWidthScaledImage() throws {
        let c = try classifier(width: 6, height: 4)
        let source = image(width: 12, height: 18)
        let out = c.preprocess(source)
        let resized = source.resized(width: 6, height: 9)
        XCTAssertEqual([out.width, out.height], [6, 4])
        for y in 0..<4 { for x in 0..<6 { XCTAssertEqual(out[x, y, 1], resized[x, y + 2, 1]) } }
    }
}
