import Foundation
import SwiftnetFormat
import XCTest

final class WeightsFileTests: XCTestCase {
    var storage: [[Float]] = []

    func records(_ counts: [[Int]]) -> [WeightsRecord] {
        storage = counts.flatMap { $0 }.map { [Float](repeating: -1, count: $0) }
        var k = 0
        var result: [WeightsRecord] = []
        for (layer, arrays) in counts.enumerated() {
            var bound: [(name: String, storage: UnsafeMutableBufferPointer<Float>)] = []
            for _ in arrays {
                let ptr = storage[k].withUnsafeMutableBufferPointer { $0 }
                bound.append(("a\(k)", ptr))
                k += 1
            }
            result.append(WeightsRecord(layer: layer, kind: "convolutional", arrays: bound))
        }
        return result
    }

    func file(header: [Int32], seen64: UInt64? = nil, seen32: UInt32? = nil, floats: [Float]) throws -> String {
        var data = Data()
        for h in header { withUnsafeBytes(of: h.littleEndian) { data.append(contentsOf: $0) } }
        if let seen64 { withUnsafeBytes(of: seen64.littleEndian) { data.append(contentsOf: $0) } }
        if let seen32 { withUnsafeBytes(of: seen32.littleEndian) { data.append(contentsOf: $0) } }
        floats.withUnsafeBytes { data.append(contentsOf: $0) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("w-\(UUID().uuidString).weights").path
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    func testExactFileLoadsAndSeenWidthFollowsVersion() throws {
        let recs = records([[2, 1], [3]])
        let path = try file(header: [0, 2, 5], seen64: 1234, floats: [1, 2, 3, 4, 5, 6])
        let result = try WeightsFile.load(path: path, records: recs)
        XCTAssertEqual(result.header, WeightsHeader(major: 0, minor: 2, revision: 5, seen: 1234))
        XCTAssertEqual(storage, [[1, 2], [3], [4, 5, 6]])
        XCTAssertEqual(result.expectedBytes, 20 + 24)

        let old = try file(header: [0, 1, 0], seen32: 77, floats: [1, 2, 3, 4, 5, 6])
        let r2 = try WeightsFile.load(path: old, records: records([[2, 1], [3]]))
        XCTAssertEqual(r2.header.seen, 77)
        XCTAssertEqual(r2.header.byteCount, 16)
    }

    func testShortFileNamesTheLayer() throws {
        let path = try file(header: [0, 2, 5], seen64: 0, floats: [1, 2, 3, 4])
        XCTAssertThrowsError(try WeightsFile.load(path: path, records: records([[2, 1], [3]]))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix(path + ": "), text)
            XCTAssertTrue(text.contains("ends inside layer 1 (convolutional)"), text)
            XCTAssertTrue(text.contains("36 bytes but this cfg needs 44"), text)
        }
    }

    func testLongFileIsAnError() throws {
        let path = try file(header: [0, 2, 5], seen64: 0, floats: [1, 2, 3, 4, 5, 6, 7])
        XCTAssertThrowsError(try WeightsFile.load(path: path, records: records([[2, 1], [3]]))) { error in
            XCTAssertTrue("\(error)".contains("4 bytes are left after the last parameters (layer 1 (convolutional))"), "\(error)")
        }
    }

    func testPartialLoadAtLayerBoundary() throws {
        let path = try file(header: [0, 2, 5], seen64: 0, floats: [1, 2, 3])
        let result = try WeightsFile.load(path: path, records: records([[2, 1], [3]]), allowPartial: true)
        XCTAssertEqual(result.loadedRecords, 1)
        XCTAssertEqual(result.firstMissingLayer, 1)
        XCTAssertEqual(storage[2], [-1, -1, -1])
        let mid = try file(header: [0, 2, 5], seen64: 0, floats: [1, 2, 3, 4])
        XCTAssertThrowsError(try WeightsFile.load(path: mid, records: records([[2, 1], [3]]), allowPartial: true))
    }

    /// A backbone file loaded without --partial: the message says it ends at a boundary (not "inside" a layer)
    /// and names the option.
    func testBoundaryFileWithoutPartialNamesTheOption() throws {
        let path = try file(header: [0, 2, 5], seen64: 0, floats: [1, 2, 3])
        XCTAssertThrowsError(try WeightsFile.load(path: path, records: records([[2, 1], [3]]))) { error in
            let text = "\(error)"
            XCTAssertFalse(text.contains("inside"), text)
            XCTAssertTrue(text.contains("ends at a layer boundary, after layer 0 (convolutional)"), text)
            XCTAssertTrue(text.contains("weights of 1 of 2 layers with parameters"), text)
            XCTAssertTrue(text.contains("Pass --partial"), text)
        }
    }

    func testHeaderTooShort() throws {
        let path = try file(header: [0, 2], floats: [])
        XCTAssertThrowsError(try WeightsFile.load(path: path, records: [])) { error in
            XCTAssertTrue("\(error)".contains("too short for a darknet weights header"))
        }
    }

    func testSaveRoundTrip() throws {
        let recs = records([[2, 1], [3]])
        let path = try file(header: [0, 1, 0], seen32: 9, floats: [1, 2, 3, 4, 5, 6])
        let result = try WeightsFile.load(path: path, records: recs)
        let out = path + ".out"
        try WeightsFile.save(path: out, header: result.header, records: recs)
        XCTAssertEqual(FileManager.default.contents(atPath: out), FileManager.default.contents(atPath: path))
    }

    func testMissingFile() {
        XCTAssertThrowsError(try WeightsFile.load(path: "/nonexistent/x.weights", records: [])) { error in
            XCTAssertEqual("\(error)", "/nonexistent/x.weights: no such file")
        }
    }
}
