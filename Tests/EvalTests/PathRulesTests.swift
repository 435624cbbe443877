import XCTest
@testable import SwiftnetEval

final class PathRulesTests: XCTestCase {
    func testFileNamesAndNumericStems() {
        XCTAssertEqual(PathRules.fileName("a/b/c.jpg"), "c.jpg")
        XCTAssertEqual(PathRules.fileName("a\\b\\c.jpg"), "c.jpg")
        XCTAssertEqual(PathRules.numericStem("images/000000000139.jpg"), 139)
        XCTAssertNil(PathRules.numericStem("images/COCO_val2014_000000000139.jpg"))
        XCTAssertNil(PathRules.numericStem("images/.jpg"))
    }
}
