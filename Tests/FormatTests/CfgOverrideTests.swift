import SwiftnetFormat
import XCTest

final class CfgOverrideTests: XCTestCase {
    let text = """
    [net]
    width=32
    height=32
    channels=3
    mosaic=1
    [convolutional]
    filters=8
    activation=leaky
    [conv]
    filters=8
    activation=linear
    [convolutional]
    filters=21
    activation=logistic
    [yolo]
    classes=2
    mask=0,1,2
    num=3
    """

    func apply(_ overrides: [String]) throws -> (NetworkConfig, [String]) {
        var document = try CfgDocument(text: text, path: "t.cfg")
        let log = try document.apply(overrides.map(CfgOverride.init(parsing:)))
        return (try NetworkConfig(document: document), log)
    }

    func testNetTypeIndexAndAll() throws {
        let (config, log) = try apply(["net.mosaic=0", "yolo.iou_loss=giou", "1.filters=16", "all.activation=mish"])
        XCTAssertFalse(config.net.mosaic)
        guard case .yolo(let y) = config.layers[3].config, case .convolutional(let c0) = config.layers[0].config,
              case .convolutional(let c1) = config.layers[1].config, case .convolutional(let c2) = config.layers[2].config else {
            return XCTFail()
        }
        XCTAssertEqual(y.iouLoss, .giou, "a missing key is added")
        XCTAssertEqual(c1.filters, 16, "by layer index (the [conv] alias)")
        XCTAssertEqual(c0.activation, .mish)
        XCTAssertEqual(c1.activation, .linear, "all.activation keeps linear")
        XCTAssertEqual(c2.activation, .logistic, "and logistic")
        XCTAssertEqual(log.first, "t.cfg:5: [net] mosaic: 1 → 0 (--set net.mosaic=0)")
        XCTAssertEqual(log.count, 4)
    }

    func testTypeMatchesAliases() throws {
        let (config, _) = try apply(["convolutional.filters=4"])
        let filters = config.layers.compactMap { spec -> Int? in
            if case .convolutional(let c) = spec.config { return c.filters }
            return nil
        }
        XCTAssertEqual(filters, [4, 4, 4])
    }

    func testErrors() {
        XCTAssertThrowsError(try CfgOverride(parsing: "mosaic=0")) { XCTAssertTrue("\($0)".contains("expected section.key=value")) }
        XCTAssertThrowsError(try apply(["lstm.x=1"])) { XCTAssertTrue("\($0)".contains("no section of t.cfg matches 'lstm'")) }
        XCTAssertThrowsError(try apply(["7.filters=1"]))
        XCTAssertThrowsError(try apply(["-5.filters=1"]), "negative indices stop at the first layer, never [net]")
    }

    func testNegativeIndexCountsFromTheLastLayer() throws {
        let (config, log) = try apply(["-1.classes=3", "-2.filters=24"])
        guard case .yolo(let y) = config.layers[3].config, case .convolutional(let c2) = config.layers[2].config else { return XCTFail() }
        XCTAssertEqual(y.classes, 3)
        XCTAssertEqual(c2.filters, 24)
        XCTAssertEqual(log, ["t.cfg:16: [yolo] classes: 2 → 3 (--set -1.classes=3)", "t.cfg:13: [convolutional] filters: 21 → 24 (--set -2.filters=24)"])
    }
}

final class CfgOverrideFileTests: XCTestCase {
    func testUnknownKeyIsAnError() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("o-\(UUID().uuidString).cfg").path
        try "[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nfilters=2\nactivation=leaky\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try NetworkConfig(contentsOf: path, overrides: [CfgOverride(parsing: "net.mosiac=1")])) { error in
            XCTAssertTrue("\(error)".contains("--set net.mosiac=1: no layer reads the key 'mosiac' in [net]"), "\(error)")
        }
        XCTAssertThrowsError(try NetworkConfig(contentsOf: path, overrides: [CfgOverride(parsing: "convolutional.filterz=3")]))
        var lines: [String] = []
        let config = try NetworkConfig(contentsOf: path, overrides: [CfgOverride(parsing: "net.mosaic=1")]) { lines.append($0) }
        XCTAssertTrue(config.net.mosaic)
        XCTAssertEqual(lines, ["\(path):1: [net] mosaic = 1 added (--set net.mosaic=1)"])
    }

    /// A duplicated key elsewhere in the cfg stays a warning; only the options the override wrote decide.
    func testUnrelatedDuplicateKeyIsNotBlamedOnTheOverride() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("o-\(UUID().uuidString).cfg").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nfilters=2\nactivation=leaky\nactivation=relu\n".write(toFile: path, atomically: true, encoding: .utf8)
        let config = try NetworkConfig(contentsOf: path, overrides: [CfgOverride(parsing: "all.activation=mish")])
        guard case .convolutional(let c) = config.layers[0].config else { return XCTFail() }
        XCTAssertEqual(c.activation, .mish, "the first occurrence is the one read, as in darknet")
        XCTAssertEqual(config.diagnostics.map(\.line), [8], "the duplicate stays an unused-key warning")
    }
}
