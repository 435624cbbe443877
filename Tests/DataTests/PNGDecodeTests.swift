import Foundation
import SwiftnetData
import XCTest

/// PNG decoding as darknet's stb_image does it: no gamma or colour-space conversion, 16-bit samples keep their high
/// byte, grey expanded to RGB, alpha dropped without compositing. The files are built here byte by byte
/// (stored deflate blocks), so every expected pixel is known exactly.
final class PNGDecodeTests: XCTestCase {
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body))
    }

    /// A zlib stream of one stored (uncompressed) deflate block.
    static func zlibStored(_ raw: [UInt8]) -> [UInt8] {
        var a: UInt32 = 1, b: UInt32 = 0
        for x in raw { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
        let n = UInt16(raw.count)
        return [0x78, 0x01, 0x01, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8(~n >> 8)] + raw + bigEndian(b << 16 | a)
    }

    /// A PNG of `rows` (each without its filter byte; filter 0 is added).
    static func png(width: Int, height: Int, depth: UInt8, color: UInt8, rows: [[UInt8]], extra: [UInt8] = []) -> Data {
        let header = bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [depth, color, 0, 0, 0]
        let raw: [UInt8] = rows.flatMap { row -> [UInt8] in [0] + row }
        let bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + extra
            + chunk("IDAT", zlibStored(raw)) + chunk("IEND", [])
        return Data(bytes)
    }

    func testSixteenBitGreyKeepsTheHighByte() throws {
        let data = Self.png(width: 2, height: 2, depth: 16, color: 0, rows: [[0x11, 0x00, 0x78, 0xFF], [0xFF, 0xFF, 0x00, 0x01]])
        let image = try ImageIO.decode(data, path: "g16.png")
        XCTAssertEqual(image.pixels, [0x11, 0x11, 0x11, 0x78, 0x78, 0x78, 0xFF, 0xFF, 0xFF, 0, 0, 0])
    }

    func testGammaChunkIsIgnored() throws {
        let gamma = Self.chunk("gAMA", Self.bigEndian(100_000))   // gamma 1.0: libpng's conversions would change the values
        let data = Self.png(width: 2, height: 1, depth: 8, color: 2, rows: [[17, 120, 200, 3, 4, 5]], extra: gamma)
        XCTAssertEqual(try ImageIO.decode(data, path: "gamma.png").pixels, [17, 120, 200, 3, 4, 5])
    }

    func testAlphaIsDroppedNotComposited() throws {
        let greyAlpha = Self.png(width: 2, height: 1, depth: 8, color: 4, rows: [[50, 0, 200, 255]])
        XCTAssertEqual(try ImageIO.decode(greyAlpha, path: "ga.png").pixels, [50, 50, 50, 200, 200, 200])
        let rgba16 = Self.png(width: 1, height: 1, depth: 16, color: 6, rows: [[0x10, 0xFF, 0x20, 0x00, 0x30, 0x80, 0x00, 0x00]])
        XCTAssertEqual(try ImageIO.decode(rgba16, path: "rgba16.png").pixels, [0x10, 0x20, 0x30])
    }

    func testPaletteAndLowBitDepthsExpand() throws {
        let palette = Self.chunk("PLTE", [10, 20, 30, 200, 100, 0])
        let indexed = Self.png(width: 3, height: 1, depth: 8, color: 3, rows: [[1, 0, 1]], extra: palette)
        XCTAssertEqual(try ImageIO.decode(indexed, path: "p.png").pixels, [200, 100, 0, 10, 20, 30, 200, 100, 0])
        // 1-bit grey: 0 → 0, 1 → 255; row bits 1,0,1 packed MSB first.
        let bits = Self.png(width: 3, height: 1, depth: 1, color: 0, rows: [[0b1010_0000]])
        XCTAssertEqual(try ImageIO.decode(bits, path: "b.png").pixels, [255, 255, 255, 0, 0, 0, 255, 255, 255])
    }

    func testTruncatedPNGIsAnError() throws {
        let data = Self.png(width: 2, height: 2, depth: 8, color: 0, rows: [[1, 2], [3, 4]])
        XCTAssertThrowsError(try ImageIO.decode(data.prefix(data.count - 20), path: "t.png")) { error in
            XCTAssertTrue("\(error)".hasPrefix("t.png: "), "\(error)")
        }
    }
}
