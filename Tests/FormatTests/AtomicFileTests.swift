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
