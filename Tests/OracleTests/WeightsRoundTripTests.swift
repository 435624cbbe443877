import Foundation
import SwiftnetFormat
import SwiftnetLayers
import TestSupport
import XCTest

/// Every real `.weights` file loads with exact byte accounting and saves back byte-identically.
final class WeightsRoundTripTests: XCTestCase {
    func testRealWeightsRoundTripByteIdentical() throws {
        let models = try SharedData.path("models")
        var checked = 0
        for dir in try FileManager.default.contentsOfDirectory(atPath: models).sorted() {
            let files = try FileManager.default.contentsOfDirectory(atPath: models + "/" + dir)
            guard let cfg = files.first(where: { $0.hasSuffix(".cfg") }), let weights = files.first(where: { $0.hasSuffix(".weights") }) else { continue }
            let network = try Network(cfgPath: models + "/" + dir + "/" + cfg)
            let source = models + "/" + dir + "/" + weights
            let result = try network.loadWeights(path: source)
            XCTAssertEqual(result.fileBytes, network.weightsByteCount - 20 + result.header.byteCount)
            let out = try SharedData.temporaryDirectory() + "/" + weights
            try network.saveWeights(path: out)
            XCTAssertEqual(FileManager.default.contents(atPath: out), FileManager.default.contents(atPath: source), dir)
            checked += 1
        }
        XCTAssertEqual(checked, 2)
    }
}
