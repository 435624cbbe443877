import Foundation
@testable import SwiftnetData
import SwiftnetFormat
import TestSupport
import XCTest

/// JPEG pixels equal darknet's (its bundled stb_image) byte for byte, on every layout in the oracle.
final class JPEGDecodeTests: XCTestCase {
    func oracleCases() throws -> [(jpeg: String, pixels: String)] {
        let folder = try SharedData.path("oracle/decode")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".stb.npy") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 12)
        return try files.map { file in
            let name = String(file.dropLast(".stb.npy".count))
            let local = folder + "/" + name + ".jpg"
            let jpeg = FileManager.default.fileExists(atPath: local) ? local : try SharedData.path("images/\(name).jpg")
            return (jpeg, folder + "/" + file)
        }
    }

    func testEveryOracleFileDecodesToDarknetsExactPixels() throws {
        for (jpeg, pixels) in try oracleCases() {
            let expected = try NPY.readBytes(path: pixels)
            let image = try ImageIO.readRGB(jpeg)
            XCTAssertEqual(expected.shape, [image.height, image.width, 3], jpeg)
            guard expected.values.count == image.pixels.count else { continue }
            let differing = zip(expected.values, image.pixels).filter { $0 != $1 }.count
            XCTAssertEqual(differing, 0, "\(jpeg): \(differing) of \(image.pixels.count) values differ from darknet's")
        }
    }

    /// libjpeg's own pixels stay available and really are different (the oracle README's 1–9 % of values).
    func testLibjpegPixelsDifferFromDarknets() throws {
        let jpeg = try SharedData.path("images/dog.jpg")
        let data = try Data(contentsOf: URL(fileURLWithPath: jpeg))
        let darknet = try ImageIO.decode(data, path: jpeg)
        let libjpeg = try ImageIO.decode(data, path: jpeg, jpeg: .libjpeg)
        XCTAssertEqual(darknet.width, libjpeg.width)
        let differing = zip(darknet.pixels, libjpeg.pixels).filter { $0 != $1 }.count
        let largest = zip(darknet.pixels, libjpeg.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        XCTAssertGreaterThan(Double(differing) / Double(darknet.pixels.count), 0.01)
        XCTAssertLessThanOrEqual(largest, 6)
    }

    func testTruncatedJPEGIsAnErrorNamingTheFile() throws {
        let jpeg = try SharedData.path("oracle/decode/odd_420.jpg")
        let data = try Data(contentsOf: URL(fileURLWithPath: jpeg))
        XCTAssertThrowsError(try ImageIO.decode(data.prefix(data.count / 2), path: "half.jpg")) { error in
            XCTAssertTrue("\(error)".contains("half.jpg"), "\(error)")
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
        }
    }

    /// The IDCT and colour constants are literals (read in the inner loops without a lazy global): they equal stb_image's
    /// `f2f` sums and `float2fixed` values computed from the published constants.
    func testFixedPointConstantsMatchTheirFormulas() {
        let f = DarknetJPEG.f2f
        let pairs: [((Int32, Int32), (Int32, Int32))] = [
            (DarknetJPEG.rot0_0, (f(0.5411961), f(0.5411961) + f(-1.847759065))),
            (DarknetJPEG.rot0_1, (f(0.5411961) + f(0.765366865), f(0.5411961))),
            (DarknetJPEG.rot1_0, (f(1.175875602) + f(-0.899976223), f(1.175875602))),
            (DarknetJPEG.rot1_1, (f(1.175875602), f(1.175875602) + f(-2.562915447))),
            (DarknetJPEG.rot2_0, (f(-1.961570560) + f(0.298631336), f(-1.961570560))),
            (DarknetJPEG.rot2_1, (f(-1.961570560), f(-1.961570560) + f(3.072711026))),
            (DarknetJPEG.rot3_0, (f(-0.390180644) + f(2.053119869), f(-0.390180644))),
            (DarknetJPEG.rot3_1, (f(-0.390180644), f(-0.390180644) + f(1.501321110))),
        ]
        for (index, (literal, formula)) in pairs.enumerated() {
            XCTAssertEqual(literal.0, formula.0, "pair \(index)")
            XCTAssertEqual(literal.1, formula.1, "pair \(index)")
        }
        XCTAssertEqual([DarknetJPEG.crR, DarknetJPEG.crG, DarknetJPEG.cbG, DarknetJPEG.cbB],
                       [DarknetJPEG.fixed(1.40200), -DarknetJPEG.fixed(0.71414), -DarknetJPEG.fixed(0.34414), DarknetJPEG.fixed(1.77200)])
    }
}
