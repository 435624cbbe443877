import Foundation
import SwiftnetData
import TestSupport
import XCTest

/// `swiftnet ablate` end to end on a small shapes classification set: the five outputs, the table agreeing with
/// the per-run CSV, skipping finished runs, and resuming an interrupted one from its `_last.weights`.
final class AblateCommandTests: XCTestCase {
    func makeData(_ dir: String) throws -> String {
        let made = try CLI.run(["dataset", "shapes", "--classification", "--out", dir + "/data", "--count", "60", "--size", "64"])
        XCTAssertEqual(made.status, 0, made.stderr)
        return dir + "/data/shapes.data"
    }

    var cfg: String { SharedData.projectRoot.appendingPathComponent("cfg/csdarknet-shapes.cfg").path }

    func csvRows(_ path: String) throws -> [[String: String]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = try XCTUnwrap(lines.first)
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
    }

    func testAblateWritesFiveOutputsAgreeingWithTheRunsAndSkipsFinishedRuns() throws {
        let dir = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = try makeData(dir)
        let out = dir + "/ablation"
        let arguments = ["ablate", cfg, "--data", data, "--activations", "mish,relu", "--seeds", "2", "--max-batches", "3",
                         "--set", "net.batch=8", "--out", out]
        let first = try CLI.run(arguments)
        XCTAssertEqual(first.status, 0, first.stderr + first.stdout)
        for name in ["results.json", "results.csv", "table.md", "results.png", "curves.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + name), name)
        }
        // Each run's cfg swaps the activation of every non-linear layer and keeps linear ones.
        let original = try String(contentsOfFile: cfg, encoding: .utf8)
        let swapped = try String(contentsOfFile: out + "/runs/relu-seed2/csdarknet-shapes.cfg", encoding: .utf8)
        func count(_ text: String, _ value: String) -> Int { text.components(separatedBy: "\n").filter { $0.replacingOccurrences(of: " ", with: "") == "activation=\(value)" }.count }
        XCTAssertGreaterThan(count(original, "mish"), 0)
        XCTAssertEqual(count(swapped, "relu"), count(original, "mish") + count(original, "leaky") + count(original, "relu"))
        XCTAssertEqual(count(swapped, "linear"), count(original, "linear"))
        XCTAssertEqual(count(swapped, "mish"), 0)

        let rows = try csvRows(out + "/results.csv")
        XCTAssertEqual(rows.count, 4)
        XCTAssertEqual(Set(rows.map { "\($0["activation"]!)-\($0["seed"]!)" }), ["mish-1", "mish-2", "relu-1", "relu-2"])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/results.json"))) as? [String: Any])
        XCTAssertEqual(json["metric"] as? String, "top1")
        let summary = try XCTUnwrap(json["summary"] as? [String: [String: Any]])
        let table = try String(contentsOfFile: out + "/table.md", encoding: .utf8)
        for activation in ["mish", "relu"] {
            let values = rows.filter { $0["activation"] == activation }.map { Double($0["metric"]!)! }
            let losses = rows.filter { $0["activation"] == activation }.map { Double($0["loss"]!)! }
            for v in values { XCTAssertTrue((0...1).contains(v)) }
            let mean = values.reduce(0, +) / Double(values.count)
            let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
            let meanLoss = losses.reduce(0, +) / Double(losses.count)
            let s = try XCTUnwrap(summary[activation])
            XCTAssertEqual(try XCTUnwrap(s["mean"] as? Double), mean, accuracy: 1e-5)
            XCTAssertEqual(try XCTUnwrap(s["std"] as? Double), std, accuracy: 1e-5)
            XCTAssertEqual(try XCTUnwrap(s["mean_loss"] as? Double), meanLoss, accuracy: 1e-5)
            let line = try XCTUnwrap(table.split(separator: "\n").first { $0.hasPrefix("| \(activation) |") })
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            XCTAssertEqual(cells[1], "2")
            XCTAssertEqual(cells[2], String(format: "%.4f", mean), line.description)
            XCTAssertEqual(cells[3], String(format: "%.4f", std), line.description)
            XCTAssertEqual(cells[6], String(format: "%.4f", meanLoss), line.description)
        }
        XCTAssertTrue(summary["mish"]?["p_value"] is NSNull)
        let png = try ImageIO.readRGB(out + "/results.png")
        XCTAssertEqual(png.width, 640)

        // The same command again: every run is skipped and the outputs are the same.
        let csv = try String(contentsOfFile: out + "/results.csv", encoding: .utf8)
        let jsonText = try String(contentsOfFile: out + "/results.json", encoding: .utf8)
        let again = try CLI.run(arguments)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(again.stdout.components(separatedBy: "finished earlier").count - 1, 4, again.stdout)
        XCTAssertFalse(again.stdout.contains("iteration"), again.stdout)
        XCTAssertEqual(try String(contentsOfFile: out + "/results.csv", encoding: .utf8), csv)
        XCTAssertEqual(try String(contentsOfFile: out + "/results.json", encoding: .utf8), jsonText)

        // Other training options into the same folder are refused instead of mixing runs.
        var other = arguments
        other[other.firstIndex(of: "3")!] = "4"
        let refused = try CLI.run(other)
        XCTAssertEqual(refused.status, 64)
        XCTAssertTrue(refused.stderr.contains("plan.json"), refused.stderr)
    }

    /// A detector ablation scores each run by mAP@0.5 and COCO AP, the same numbers `swiftnet map` prints for its weights.
    func testDetectorAblationReportsMAPAndCOCOAPAsMapDoes() throws {
        let dir = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let made = try CLI.run(["dataset", "shapes", "--out", dir + "/data", "--count", "24", "--size", "160"])
        XCTAssertEqual(made.status, 0, made.stderr)
        let data = dir + "/data/shapes.data", out = dir + "/ablation"
        let detector = SharedData.projectRoot.appendingPathComponent("cfg/shapes.cfg").path
        let run = try CLI.run(["ablate", detector, "--data", data, "--activations", "relu", "--seeds", "1", "--max-batches", "2",
                               "--set", "net.batch=8", "--out", out])
        XCTAssertEqual(run.status, 0, run.stderr + run.stdout)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/results.json"))) as? [String: Any])
        XCTAssertEqual(json["metric"] as? String, "map50")
        let result = try XCTUnwrap((json["runs"] as? [[String: Any]])?.first)
        let map50 = try XCTUnwrap(result["map50"] as? Double), coco = try XCTUnwrap(result["coco_ap"] as? Double)
        XCTAssertEqual(result["metric"] as? Double, map50)

        let cfgCopy = out + "/runs/relu-seed1/shapes.cfg"
        let map = try CLI.run(["map", "--cfg", cfgCopy, "--weights", out + "/runs/relu-seed1/shapes_final.weights", "--data", data])
        XCTAssertEqual(map.status, 0, map.stderr)
        XCTAssertTrue(map.stdout.contains(String(format: "mean average precision (mAP@0.50) = %.6f", map50)), map.stdout)
        XCTAssertTrue(map.stdout.contains(String(format: "IoU=0.50:0.95 | area=   all | maxDets=100 ] = %.3f", coco)), map.stdout)
        let table = try String(contentsOfFile: out + "/table.md", encoding: .utf8)
        XCTAssertTrue(table.contains("mean COCO AP"), table)
        XCTAssertTrue(table.contains(String(format: " %.4f |\n", coco)), table)
    }

    func testInterruptedRunResumesFromItsLastWeights() throws {
        let dir = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = try makeData(dir)
        let out = dir + "/ablation"
        let arguments = ["ablate", cfg, "--data", data, "--activations", "mish", "--seeds", "1", "--max-batches", "60",
                         "--set", "net.batch=4", "--out", out]
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let log = out + "/runs/mish-seed1/train.log"
        let deadline = Date(timeIntervalSinceNow: 120)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: log, encoding: .utf8), text.contains("     5/60:") { break }
            usleep(20_000)
        }
        process.interrupt()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130)
        let run = out + "/runs/mish-seed1"
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/csdarknet-shapes_last.weights"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/result.json"))

        let resumed = try CLI.run(arguments)
        XCTAssertEqual(resumed.status, 0, resumed.stderr + resumed.stdout)
        let line = try XCTUnwrap(resumed.stdout.split(separator: "\n").first { $0.contains("resuming from") }, resumed.stdout)
        let at = try XCTUnwrap(Int(line.split(separator: " ").last!))
        XCTAssertGreaterThanOrEqual(at, 5)
        XCTAssertLessThan(at, 60)
        // One loss row per iteration, none repeated or missing across the two parts.
        let iterations = try csvRows(run + "/loss.csv").map { Int($0["iteration"]!)! }
        XCTAssertEqual(iterations, Array(1...60))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/results.json"))
    }
}
