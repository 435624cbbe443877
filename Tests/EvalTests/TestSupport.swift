import Foundation
import XCTest
@testable import SwiftnetEval

/// Locating the shared oracle folder and reading expected values.
enum TestSupport {
    /// `shared/` of the project: `$SWIFTNET_SHARED`, or the first `D/shared` or `D/../shared`
    /// holding `oracle/` while walking up from this file. Skips the test when absent.
    static func sharedFolder(file: StaticString = #filePath) throws -> URL {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["SWIFTNET_SHARED"], !env.isEmpty {
            let url = URL(fileURLWithPath: env)
            if fm.fileExists(atPath: url.appendingPathComponent("oracle").path) { return url }
        }
        var dir = URL(fileURLWithPath: "\(file)").deletingLastPathComponent()
        while dir.path != "/" {
            for candidate in [dir.appendingPathComponent("shared"),
                              dir.deletingLastPathComponent().appendingPathComponent("shared")]
            where fm.fileExists(atPath: candidate.appendingPathComponent("oracle").path) {
                return candidate.standardizedFileURL
            }
            dir = dir.deletingLastPathComponent()
        }
        throw XCTSkip("shared/oracle not found (set SWIFTNET_SHARED)")
    }

    /// Case directories under `shared/oracle/map`, sorted.
    static func oracleCases() throws -> [URL] {
        let root = try sharedFolder().appendingPathComponent("oracle/map")
        let names = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
        let cases = names.map { root.appendingPathComponent($0) }
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("expected.json").path) }
        if cases.isEmpty { throw XCTSkip("no oracle cases in \(root.path)") }
        return cases
    }

    /// Case directories committed under `Fixtures/` next to this file.
    static func fixtureCases(file: StaticString = #filePath) throws -> [URL] {
        let root = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("Fixtures")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path).sorted()) ?? []
        let cases = names.map { root.appendingPathComponent($0) }
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("expected.json").path) }
        if cases.isEmpty { throw XCTSkip("no fixtures in \(root.path)") }
        return cases
    }

    /// Parses a JSON object with the library's reader: Foundation's `JSONSerialization` on Linux
    /// does not round every decimal to the nearest double, which would break exact comparisons.
    static func json(_ url: URL) throws -> [String: Any] {
        try JSONReader.withFile(url.path) { r in
            guard let object = try anyValue(&r) as? [String: Any] else { throw r.error("not a JSON object") }
            try r.expectEnd()
            return object
        }
    }

    private static func anyValue(_ r: inout JSONReader) throws -> Any {
        switch try r.peek() {
        case UInt8(ascii: "{"):
            try r.beginObject()
            var object: [String: Any] = [:]
            var first = true
            while let key = try r.nextKey(&first) { object[r.text(of: key)] = try anyValue(&r) }
            return object
        case UInt8(ascii: "["):
            try r.beginArray()
            var array: [Any] = []
            var first = true
            while try r.nextArrayElement(&first) { array.append(try anyValue(&r)) }
            return array
        case UInt8(ascii: "\""):
            return try r.readString()
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            return try r.readBool()
        case UInt8(ascii: "n"):
            _ = try r.readNull()
            return NSNull()
        default:
            return try r.readDouble()
        }
    }

    /// A scratch directory removed at the end of the test.
    static func temporaryDirectory(_ test: XCTestCase) throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftnet-eval-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }
}

extension Dictionary where Key == String, Value == Any {
    func dict(_ key: String) -> [String: Any] { self[key] as? [String: Any] ?? [:] }
    func list(_ key: String) -> [[String: Any]] { self[key] as? [[String: Any]] ?? [] }
    func double(_ key: String) -> Double? { self[key] as? Double }
    func int(_ key: String) -> Int? { (self[key] as? Double).flatMap { Int(exactly: $0) } }
}

/// A small deterministic generator so randomized tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
