import Foundation
import SwiftnetData
import SwiftnetFormat
import TestSupport
import XCTest

final class ResizeTests: XCTestCase {
    func testCornerAlignedBilinear() {
        // 1 channel, 3×1 → 5×1: sx = 2/4 = 0.5; columns sample 0, 0.5, 1, 1.5, and the last copies column 2.
        let image = Image(width: 3, height: 1, channels: 1, data: [0, 1, 4])
        XCTAssertEqual(image.resized(width: 5, height: 1).data, [0, 0.5, 1, 2.5, 4])
    }

    func testVerticalPassAndLastRowOnlyTakesItsFirstTerm() {
        // 1×2 → 1×3: sy = 0, 0.5, 1.0 — the last row is (1 − dy)·row[iy] with dy = 0: a plain copy.
        let image = Image(width: 1, height: 2, channels: 1, data: [2, 6])
        XCTAssertEqual(image.resized(width: 1, height: 3).data, [2, 4, 6])
    }

    /// darknet quirk (spec §4.2): for some size pairs float rounding puts the last row just below H−1, so it only
    /// gets (1 − dy)·row[H−2] with dy ≈ 1 — nearly black. 100 → 320 is one such pair.
    func testNearBlackLastRowQuirk() {
        let image = Image(width: 1, height: 100, channels: 1, fill: 1)
        let resized = image.resized(width: 1, height: 320)
        XCTAssertEqual(resized.data[318], 1, accuracy: 1e-6)
        XCTAssertLessThan(resized.data[319], 1e-4)
        XCTAssertGreaterThan(resized.data[319], 0)
    }

    func testSameSizeIsACopy() {
        let image = Image(width: 2, height: 2, channels: 3, data: (0..<12).map(Float.init))
        XCTAssertEqual(image.resized(width: 2, height: 2), image)
    }

    func testLetterboxSizeOffsetAndGreyCanvas() {
        XCTAssertTrue(Image.letterboxSize(imageWidth: 640, imageHeight: 480, netWidth: 416, netHeight: 416) == (416, 312))
        XCTAssertTrue(Image.letterboxSize(imageWidth: 100, imageHeight: 300, netWidth: 416, netHeight: 416) == (138, 416))
        let image = Image(width: 4, height: 2, channels: 1, fill: 1)
        let boxed = image.letterboxed(width: 4, height: 4)
        // new size 4×2, pasted at y offset (4 − 2)/2 = 1.
        XCTAssertEqual(boxed.data, [0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5])
    }
}

final class ImageIOTests: XCTestCase {
    func testPNGRoundTripIsLossless() throws {
        var image = RGBImage(width: 7, height: 5)
        for i in 0..<image.pixels.count { image.pixels[i] = UInt8(truncatingIfNeeded: i * 37 + 11) }
        let dir = try SharedData.temporaryDirectory()
        try ImageIO.write(image, to: dir + "/a.png")
        XCTAssertEqual(try ImageIO.readRGB(dir + "/a.png"), image)
        let float = try ImageIO.load(dir + "/a.png")
        XCTAssertEqual(float[1, 0, 2], Float(image.pixels[5]) / 255)
    }

    func testJPEGRoundTripIsClose() throws {
        var image = RGBImage(width: 16, height: 16)
        for i in 0..<image.pixels.count { image.pixels[i] = 120 }
        let dir = try SharedData.temporaryDirectory()
        try ImageIO.write(image, to: dir + "/a.jpg", quality: 95)
        let back = try ImageIO.readRGB(dir + "/a.jpg")
        XCTAssertEqual(back.width, 16)
        XCTAssertLessThanOrEqual(zip(back.pixels, image.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 99, 2)
    }

    func testGrayscaleLoadUsesStbLuminance() throws {
        var image = RGBImage(width: 1, height: 1)
        image.pixels = [200, 100, 50]
        let gray = image.toImage(channels: 1)
        let luminance: Int = (200 * 77 + 100 * 150 + 50 * 29) >> 8
        XCTAssertEqual(gray.data, [Float(luminance) / 255])
    }

    func testDrawingStaysInsideTheImage() {
        var image = RGBImage(width: 20, height: 10)
        image.drawLabeledBox(x0: -5, y0: -5, x1: 30, y1: 30, label: "dog: 98%", color: Color(255, 0, 0))
        XCTAssertEqual(image.pixels.count, 600)
        image = RGBImage(width: 20, height: 10)
        image.drawLabeledBox(x0: 0, y0: 0, x1: 19, y1: 9, label: "x", color: Color(255, 0, 0))
        XCTAssertEqual(Array(image.pixels[(3 * (9 * 20 + 19))...]), [255, 0, 0], "the bottom-right corner is on the outline")
    }

    func testFontGlyphs() {
        XCTAssertTrue(BitmapFont.isSet("I", x: 2, y: 3))
        XCTAssertFalse(BitmapFont.isSet(" ", x: 2, y: 3))
        XCTAssertFalse(BitmapFont.isSet("A", x: 5, y: 0))
    }
}
