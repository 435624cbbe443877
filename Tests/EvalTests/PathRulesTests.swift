import XCTest
@testable import SwiftnetEval

final class PathRulesTests: XCTestCase {
    func testLabelPathRule() {
        let cases: [(String, String?)] = [
            ("data/obj/img1.jpg", "data/obj/img1.txt"),
            ("/coco/images/val2017/000000000139.jpg", "/coco/labels/val2017/000000000139.txt"),
            ("/coco/images/train2014/x.JPG", "/coco/labels/train2014/x.txt"),
            ("VOC2007/JPEGImages/000005.jpeg", "VOC2007/labels/000005.txt"),
            ("a/images/b.png", "a/images/b.txt"),                          // no generic images/ rule
            ("C:\\d\\JPEGImages\\x.bmp", "C:\\d\\labels\\x.txt"),
            ("/JPEGImages/JPEGImages/x.PNG", "/labels/JPEGImages/x.txt"), // first occurrence only
            ("  spaced.TIFF\t", "spaced.txt"),
            ("x.ppm", "x.txt"),
            ("photo.tif", nil),
            ("photo.Jpg", nil),
        ]
        for (image, label) in cases { XCTAssertEqual(PathRules.labelPath(forImage: image), label, image) }
    }

    func testFileNamesAndNumericStems() {
        XCTAssertEqual(PathRules.fileName("a/b/c.jpg"), "c.jpg")
        XCTAssertEqual(PathRules.fileName("a\\b\\c.jpg"), "c.jpg")
        XCTAssertEqual(PathRules.numericStem("images/000000000139.jpg"), 139)
        XCTAssertNil(PathRules.numericStem("images/COCO_val2014_000000000139.jpg"))
        XCTAssertNil(PathRules.numericStem("images/.jpg"))
    }

    func testDataAndNamesFiles() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        try "# comment\nclasses = 2\n valid = list.txt \nnames=obj.names\nvalid = other.txt\n"
            .write(to: dir.appendingPathComponent("x.data"), atomically: true, encoding: .utf8)
        try "cat\r\ndog\n".write(to: dir.appendingPathComponent("obj.names"), atomically: true, encoding: .utf8)
        let data = try DarknetTextFiles.readDataFile(path: dir.appendingPathComponent("x.data").path)
        XCTAssertEqual(data, ["classes": "2", "valid": "list.txt", "names": "obj.names"])
        XCTAssertEqual(try DarknetTextFiles.readNames(path: dir.appendingPathComponent("obj.names").path), ["cat", "dog"])
    }
}
