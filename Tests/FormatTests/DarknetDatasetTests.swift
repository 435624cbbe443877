import Foundation
import SwiftnetFormat
import XCTest

/// darknet's dataset rules in one place: lists, names, label files, and paths read from the working directory.
final class DarknetDatasetTests: XCTestCase {
    func temporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("swiftnet-dataset-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

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
        for (image, label) in cases { XCTAssertEqual(DarknetDataset.labelPath(forImage: image), label, image) }
    }

    func testImageListTrimsAndSkipsBlankLinesKeepingLineNumbers() throws {
        let dir = try temporaryDirectory()
        try " a.jpg \n\n\tb.jpg\r\n   \nc d.jpg\n".write(toFile: dir + "/l.txt", atomically: true, encoding: .utf8)
        let list = try ImageList(contentsOf: dir + "/l.txt")
        XCTAssertEqual(list.entries, [ImageListEntry(path: "a.jpg", line: 1), ImageListEntry(path: "b.jpg", line: 3), ImageListEntry(path: "c d.jpg", line: 5)])
    }

    /// Relative list entries are read from the working directory (as darknet); an entry that exists only relative
    /// to the list's own folder is named with that hint.
    func testMissingImageNamesTheLineAndTheListFolderHint() throws {
        let dir = try temporaryDirectory()
        try Data([1]).write(to: URL(fileURLWithPath: dir + "/here.jpg"))
        try "here.jpg\n\(dir)/here.jpg\nnowhere.jpg\n".write(toFile: dir + "/l.txt", atomically: true, encoding: .utf8)
        let error = try XCTUnwrap(try ImageList(contentsOf: dir + "/l.txt").missingImage())
        XCTAssertEqual("\(error)", "\(dir)/l.txt:1: image here.jpg does not exist; relative paths are read from the working directory, as darknet does, and \(dir)/here.jpg exists relative to the list's folder: run swiftnet from \(dir) or write the paths relative to the working directory (or absolute) (2 of the 3 listed images are missing)")
    }

    func testDataEntriesAreReadFromTheWorkingDirectoryWithHints() throws {
        let dir = try temporaryDirectory()
        try "a\nb\n".write(toFile: dir + "/obj.names", atomically: true, encoding: .utf8)
        try "x.jpg\n".write(toFile: dir + "/train.txt", atomically: true, encoding: .utf8)
        try "classes=2\ntrain=train.txt\nnames=\(dir)/obj.names\nvalid = \(dir)/my valid.txt\n".write(toFile: dir + "/obj.data", atomically: true, encoding: .utf8)
        let dataset = try DarknetDataset(contentsOf: dir + "/obj.data")
        XCTAssertEqual(try dataset.classNames(), ["a", "b"])
        XCTAssertEqual(try dataset.classes(), 2)
        XCTAssertEqual(dataset.backup, "backup")
        XCTAssertThrowsError(try dataset.imageList("train", what: "the list of training images")) { error in
            XCTAssertEqual("\(error)", "\(dir)/obj.data:2: train=train.txt: the list of training images does not exist; relative paths are read from the working directory, as darknet does, and \(dir)/train.txt exists relative to the .data file's folder: run swiftnet from \(dir) or write the paths relative to the working directory (or absolute)")
        }
        XCTAssertThrowsError(try dataset.existingPath("valid", what: "the validation list")) { error in
            XCTAssertTrue("\(error)".contains("darknet removes every space from .data lines, so '\(dir)/my valid.txt' reads as '\(dir)/myvalid.txt'"), "\(error)")
        }
        XCTAssertNil(try dataset.imageList("test", what: "x"))
    }
}
