import Foundation
import SwiftnetFormat
import SwiftnetLayers
import TestSupport
import XCTest

/// `swiftnet layers` must reproduce darknet's own layer table line for line, and the `.weights` sizes.
final class LayerTableTests: XCTestCase {
    func testEveryUpstreamCfgReproducesDarknetsTable() throws {
        let cfgDir = try SharedData.path("cfg")
        let tableDir = try SharedData.path("oracle/layer-tables")
        let cfgs = try FileManager.default.contentsOfDirectory(atPath: cfgDir).filter { $0.hasSuffix(".cfg") }.sorted()
        XCTAssertGreaterThanOrEqual(cfgs.count, 18)
        var compared = 0
        for cfg in cfgs {
            let name = String(cfg.dropLast(4))
            let logPath = tableDir + "/" + name + ".log"
            guard FileManager.default.fileExists(atPath: logPath) else { continue }
            let expected = try layerLines(readTextFile(logPath))
            let network = try Network(cfgPath: cfgDir + "/" + cfg, allocate: false)
            let got = layerLines(network.layerTable())
            XCTAssertEqual(got.count, expected.count, "\(name): line count")
            for (i, (g, e)) in zip(got, expected).enumerated() where g != e {
                XCTFail("\(name) line \(i):\n  darknet:  \(e)\n  swiftnet: \(g)")
                break
            }
            compared += 1
        }
        XCTAssertGreaterThanOrEqual(compared, 18)
    }

    func testWeightsSizesMatchDarknet() throws {
        let cfgDir = try SharedData.path("cfg")
        let sizes = try readTextFile(try SharedData.path("oracle/weights-sizes.txt"))
        var checked = 0
        for line in textLines(sizes) {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let bytes = Int(parts[1]) else { continue }
            let network = try Network(cfgPath: cfgDir + "/" + parts[0] + ".cfg", allocate: false)
            XCTAssertEqual(network.weightsByteCount, bytes, String(parts[0]))
            checked += 1
        }
        XCTAssertEqual(checked, 18)
    }

    /// Lines describing layers (index first) and shortcut shape notes, trailing blanks removed.
    func layerLines(_ text: String) -> [String] {
        textLines(text).filter { line in
            let t = line.drop { $0 == " " }
            return (t.first?.isNumber == true && line.hasPrefix(" ")) || line.hasPrefix(" (")
        }.map { String($0.reversed().drop { $0 == " " || $0 == "\t" }.reversed()) }
    }
}
