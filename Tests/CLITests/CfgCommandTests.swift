import Foundation
import TestSupport
import XCTest

/// `swiftnet cfg` and scripts/generate_cfgs.sh.
final class CfgCommandTests: XCTestCase {
    func testThreeClassPACSP() throws {
        let r = try CLI.run(["cfg", "yolov4-pacsp", "--classes", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.components(separatedBy: "\nfilters=24\n").count - 1, 3)
        XCTAssertEqual(r.stdout.components(separatedBy: "\nclasses=3\n").count - 1, 3)
        XCTAssertTrue(r.stdout.contains("\nmax_batches=6000\n"))

        let dir = try SharedData.temporaryDirectory()
        let written = try CLI.run(["cfg", "yolov4-pacsp", "--classes", "3", "--out", dir + "/p.cfg"])
        XCTAssertEqual(written.status, 0, written.stderr)
        XCTAssertEqual(try String(contentsOfFile: dir + "/p.cfg", encoding: .utf8), r.stdout)
        let layers = try XCTUnwrap(try layersJSON(dir + "/p.cfg")["layers"] as? [[String: Any]])
        let yolo = layers.filter { $0["type"] as? String == "yolo" }
        XCTAssertEqual(yolo.map { $0["output"] as? [Int] }, [[64, 64, 24], [32, 32, 24], [16, 16, 24]])
    }

    func testWidthAloneSetsASquareInput() throws {
        let r = try CLI.run(["cfg", "yolov4-tiny", "--width", "320", "--batch", "16", "--subdivisions", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for line in ["width=320", "height=320", "batch=16", "subdivisions=2"] {
            XCTAssertTrue(r.stdout.contains("\n\(line)\n"), line)
        }
        let small = try CLI.run(["cfg", "yolov4", "--batch", "4"])
        XCTAssertEqual(small.status, 0, small.stderr)
        XCTAssertTrue(small.stdout.contains("\nbatch=4\nsubdivisions=4\n"))
    }

    func testBadOptionsAreUsageErrors() throws {
        let cases: [([String], String)] = [
            (["cfg", "yolov4", "--scale", "s"], "scale applies to yolov4-pacsp only"),
            (["cfg", "shapes", "--width", "100"], "multiple of 32"),
            (["cfg", "csdarknet53", "--classes", "1"], "classes must be 2"),
            (["cfg", "yolov4", "--batch", "4", "--subdivisions", "8"], "subdivisions must be 1…batch"),
            (["cfg", "yolov4", "--activation", "linear"], "--activation"),
            (["cfg", "yolov5"], "yolov5"),
            (["cfg", "yolov4", "--classes", "0"], "classes must be 1"),
        ]
        for (arguments, message) in cases {
            let r = try CLI.run(arguments)
            XCTAssertEqual(r.status, 64, arguments.joined(separator: " "))
            XCTAssertFalse(r.crashed)
            XCTAssertTrue(r.stderr.contains(message), "\(arguments): \(r.stderr)")
        }
    }

    func testGenerateScriptReproducesTheCommittedCfgs() throws {
        let out = try SharedData.temporaryDirectory()
        let root = SharedData.projectRoot
        let process = Process()
        process.executableURL = root.appendingPathComponent("scripts/generate_cfgs.sh")
        process.arguments = [out]
        process.environment = ProcessInfo.processInfo.environment.merging(["SWIFTNET_BIN": CLI.executable.path]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let committed = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("cfg").path)
            .filter { $0.hasSuffix(".cfg") }
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: out)), Set(committed))
        for file in committed {
            XCTAssertEqual(FileManager.default.contents(atPath: out + "/" + file),
                           FileManager.default.contents(atPath: root.appendingPathComponent("cfg/" + file).path), file)
        }
    }

    func testSetOverridesArePrintedAndBadOnesAreErrors() throws {
        let cfg = SharedData.projectRoot.path + "/cfg/shapes.cfg"
        let ok = try CLI.run(["layers", cfg, "--set", "net.width=320", "--set", "net.height=320", "--set", "all.activation=mish"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(ok.stderr.contains("override: \(cfg):"), ok.stderr)
        XCTAssertTrue(ok.stderr.contains("[net] width: 160 → 320 (--set net.width=320)"), ok.stderr)
        XCTAssertTrue(ok.stdout.contains("   0 conv     16       3 x 3/ 2    320 x 320 x   3 ->  160 x 160 x  16"), ok.stdout)
        for (arguments, message) in [
            (["--set", "lstm.units=3"], "no section of \(cfg) matches 'lstm'"),
            (["--set", "net.mosiac=1"], "no layer reads the key 'mosiac' in [net]"),
            (["--set", "mosaic=1"], "expected section.key=value"),
        ] {
            let r = try CLI.run(["layers", cfg] + arguments)
            XCTAssertEqual(r.status, 64, r.stdout)
            XCTAssertTrue(r.stderr.contains(message), "\(arguments): \(r.stderr)")
        }
    }
}

/// `swiftnet layers --json` of a cfg.
func layersJSON(_ cfg: String) throws -> [String: Any] {
    let r = try CLI.run(["layers", cfg, "--json"])
    XCTAssertEqual(r.status, 0, r.stderr)
    return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
}
