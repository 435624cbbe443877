import Foundation
import SwiftnetFormat
import XCTest

final class JSONEscapeTests: XCTestCase {
    /// Escapes round-trip through Foundation's JSON parser, byte for byte.
    func testEscapedStringsParseBack() throws {
        let samples = ["plain", "quote \" and \\ backslash", "tab\tnew\nline\rreturn", "bell \u{7} nul \u{0} unit \u{1f}",
                       "ünïcødé 日本 🐕", "data/img 1.jpg"]
        for s in samples {
            let text = "[\"" + jsonEscaped(s) + "\"]"
            let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String]
            XCTAssertEqual(parsed, [s], text)
        }
        XCTAssertEqual(jsonEscaped("a\u{1}b\"c"), "a\\u0001b\\\"c")
    }
}
