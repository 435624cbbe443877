import Foundation
import SwiftnetFormat
import TestSupport
import XCTest

final class AtomicFileTests: XCTestCase {
    /// Writing through a symbolic link replaces the file it names and keeps the link.
    func testSymbolicLinksStayLinks() throws {
        let dir = try SharedData.temporaryDirectory()
        try "old".write(toFile: dir + "/target.cfg", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.cfg", withDestinationPath: "target.cfg")
        try AtomicFile.write("new", to: dir + "/link.cfg")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link.cfg"), "target.cfg")
        XCTAssertEqual(try String(contentsOfFile: dir + "/target.cfg", encoding: .utf8), "new")
        // No temporary files are left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["link.cfg", "target.cfg"])
    }

    func testMissingDirectoryIsAClearError() throws {
        XCTAssertThrowsError(try AtomicFile.write("x", to: "/nonexistent-dir/out.json")) { error in
            XCTAssertEqual("\(error)", "/nonexistent-dir/out.json: cannot write: directory /nonexistent-dir does not exist")
        }
    }
}

/// A UTF-8 byte-order mark at the start of a text file is not part of its first key, name or class id.
final class ByteOrderMarkTests: XCTestCase {
    func testByteOrderMarkIsDropped() throws {
        let dir = try SharedData.temporaryDirectory()
        let bom = "\u{FEFF}"
        try (bom + "cat\ndog\n").write(toFile: dir + "/x.names", atomically: true, encoding: .utf8)
        XCTAssertEqual(try NamesFile.read(dir + "/x.names"), ["cat", "dog"])
        try (bom + "classes=2\n").write(toFile: dir + "/x.data", atomically: true, encoding: .utf8)
        XCTAssertEqual(try DataFile(contentsOf: dir + "/x.data").int("classes"), 2)
        XCTAssertEqual(try YOLOLabelFile.parse(bom + "1 0.5 0.5 0.2 0.2\n", path: "x.txt"), [LabelBox(classID: 1, x: 0.5, y: 0.5, w: 0.2, h: 0.2)])
        try (bom + "[net]\nwidth=8\nheight=8\nchannels=3\n[maxpool]\nsize=2\nstride=2\n").write(toFile: dir + "/x.cfg", atomically: true, encoding: .utf8)
        XCTAssertEqual(try NetworkConfig(contentsOf: dir + "/x.cfg").net.width, 8)
    }
}
