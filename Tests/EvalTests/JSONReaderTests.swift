import Foundation
import XCTest
@testable import SwiftnetEval

final class JSONReaderTests: XCTestCase {
    private func read<T>(_ text: String, _ body: (inout JSONReader) throws -> T) throws -> T {
        try JSONReader.withData(Data(text.utf8), name: "t.json", body)
    }

    func testNumbersAreCorrectlyRounded() throws {
        var rng = SplitMix64(seed: 42)
        var texts = ["0", "-0", "1", "0.1", "0.3", "123.456", "1e-7", "2.5E+3", "17976931348623157e292",
                     "0.30000000000000004", "9007199254740993", "1.7976931348623157e308", "4.9e-324",
                     "123456789012345678901234567890", "0.000000000000000000000000012345", "-42.000"]
        for _ in 0..<2000 {
            let v = Double.random(in: -1e6...1e6, using: &rng)
            texts.append("\(v)")
            texts.append(String(format: "%.3f", v))
            texts.append(String(format: "%.17g", v))
        }
        for t in texts {
            let parsed = try read(t) { try $0.readDouble() }
            XCTAssertEqual(parsed.bitPattern, Double(t)?.bitPattern, t)
        }
    }

    func testIntegersStringsAndSkipping() throws {
        let doc = #"{"a": 12, "b": 3.0, "s": "x\"y\\z\u00e9\ud83d\ude00\n", "skip": [1, {"q": [true, false, null]}, "w"], "z": -7}"#
        var values: [String: Any] = [:]
        try read(doc) { r in
            try r.beginObject()
            var first = true
            while let key = try r.nextKey(&first) {
                let name = r.text(of: key)
                switch name {
                case "a", "b", "z": values[name] = try r.readInt()
                case "s": values[name] = try r.readString()
                default: try r.skipValue()
                }
            }
            try r.expectEnd()
        }
        XCTAssertEqual(values["a"] as? Int, 12)
        XCTAssertEqual(values["b"] as? Int, 3)
        XCTAssertEqual(values["z"] as? Int, -7)
        XCTAssertEqual(values["s"] as? String, "x\"y\\zé😀\n")
    }

    func testErrorsCarryLineAndColumn() {
        let cases: [(String, Int, Int)] = [
            ("[1,\n 2,\n ]", 3, 2),          // trailing comma
            ("{\"a\" 1}", 1, 6),             // missing colon
            ("[1 2]", 1, 4),                 // missing comma
            ("[\"abc", 1, 2),                // unterminated string
            ("[1.]", 1, 4),                  // digit required after '.'
            ("[1] x", 1, 5),                 // trailing garbage
        ]
        for (text, line, column) in cases {
            XCTAssertThrowsError(try read(text) { r in try r.skipValue(); try r.expectEnd() }, text) { error in
                guard case let EvalError.invalidJSON(path, l, c, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(path, "t.json")
                XCTAssertEqual(l, line, text)
                XCTAssertEqual(c, column, text)
            }
        }
        XCTAssertThrowsError(try read("1.5") { try $0.readInt() })
    }

    /// Truncated or corrupted result files either load or throw `invalidJSON`; they never crash.
    func testCorruptedResultsNeverCrash() throws {
        let gt = try GroundTruth(categories: [Category(id: 1, name: "a")],
                                 images: [EvalImage(id: 1, path: "1.jpg", size: ImageSize(width: 64, height: 48))],
                                 objects: [[]])
        let text = #"[{"image_id": 1, "category_id": 1, "bbox": [1.5, 2, 30, 4e1], "score": 0.25, "x": {"y": ["\u00e9"]}}]"#
        let bytes = Array(text.utf8)
        var variants: [[UInt8]] = (0..<bytes.count).map { Array(bytes[0..<$0]) }
        var rng = SplitMix64(seed: 42)
        for _ in 0..<500 {
            var b = bytes
            b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            variants.append(b)
        }
        for v in variants {
            do {
                _ = try DetectionSet.parseCOCOResults(data: Data(v), name: "r.json", groundTruth: gt)
            } catch let error as EvalError {
                guard case .invalidJSON(let path, let line, let column, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(path, "r.json")
                XCTAssertGreaterThanOrEqual(line, 1)
                XCTAssertGreaterThan(column, 0)
            }
        }
    }
}
