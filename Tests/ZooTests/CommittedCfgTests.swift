import Foundation
import SwiftnetFormat
import SwiftnetLayers
import SwiftnetZoo
import TestSupport
import XCTest

/// The project's cfg/ files are exactly what the generators write (scripts/generate_cfgs.sh makes them).
final class CommittedCfgTests: XCTestCase {
    /// File → generator call, as in scripts/generate_cfgs.sh.
    static let files: [(file: String, network: ZooNetwork, options: ZooOptions)] = [
        ("yolov4-pacsp.cfg", .yolov4PACSP, ZooOptions()),
        ("yolov4-pacsp-mish.cfg", .yolov4PACSP, ZooOptions(activation: .mish, width: 640, height: 640)),
        ("yolov4-pacsp-s.cfg", .yolov4PACSP, ZooOptions(scale: .s)),
        ("yolov4-pacsp-s-mish.cfg", .yolov4PACSP, ZooOptions(activation: .mish, scale: .s)),
        ("yolov4-pacsp-x.cfg", .yolov4PACSP, ZooOptions(scale: .x)),
        ("yolov4-pacsp-x-mish.cfg", .yolov4PACSP, ZooOptions(activation: .mish, scale: .x)),
        ("yolov4.cfg", .yolov4, ZooOptions()),
        ("yolov4-tiny.cfg", .yolov4Tiny, ZooOptions()),
        ("csdarknet53-omega.cfg", .csdarknet53, ZooOptions()),
        ("csresnext50-omega.cfg", .csresnext50, ZooOptions()),
        ("shapes.cfg", .shapes, ZooOptions()),
        ("csdarknet-shapes.cfg", .csdarknetShapes, ZooOptions()),
    ]

    let cfgDirectory = SharedData.projectRoot.appendingPathComponent("cfg").path

    func testCommittedCfgsAreTheGeneratorsOutput() throws {
        for entry in Self.files {
            let committed = try XCTUnwrap(FileManager.default.contents(atPath: cfgDirectory + "/" + entry.file), entry.file)
            let generated = Data(try ModelZoo.cfg(entry.network, entry.options).utf8)
            XCTAssertEqual(generated, committed, "\(entry.file) differs from the generator's output: run scripts/generate_cfgs.sh")
        }
    }

    func testEveryCommittedCfgIsGenerated() throws {
        let committed = try FileManager.default.contentsOfDirectory(atPath: cfgDirectory).filter { $0.hasSuffix(".cfg") }
        XCTAssertEqual(Set(committed), Set(Self.files.map(\.file)))
    }

    /// The bundled model's weights still fit the (regenerated) shapes cfg.
    func testBundledShapesWeightsLoad() throws {
        let network = try Network(cfgPath: cfgDirectory + "/shapes.cfg", allocate: false)
        let weights = SharedData.projectRoot.appendingPathComponent("data/shapes.weights").path
        try network.loadWeights(path: weights)
        XCTAssertEqual(network.weightsByteCount, try FileManager.default.attributesOfItem(atPath: weights)[.size] as? Int)
    }
}
