import Foundation
import SwiftnetData
import TestSupport
import XCTest

/// `swiftnet train` end to end on a tiny generated shapes dataset and a tiny cfg (seconds, not minutes).
final class TrainCommandTests: XCTestCase {
    static let tinyCfg = """
    [net]
    batch=8
    subdivisions=2
    width=64
    height=64
    channels=3
    momentum=0.9
    decay=0.0005
    learning_rate=0.005
    burn_in=5
    max_batches=40
    policy=steps
    steps=32,36
    scales=.1,.1
    hue=.02
    saturation=1.2
    exposure=1.2

    [convolutional]
    batch_normalize=1
    filters=8
    size=3
    stride=2
    pad=1
    activation=leaky

    [convolutional]
    batch_normalize=1
    filters=16
    size=3
    stride=2
    pad=1
    activation=leaky

    [maxpool]
    size=2
    stride=2

    [convolutional]
    batch_normalize=1
    filters=32
    size=3
    stride=1
    pad=1
    activation=leaky

    [convolutional]
    filters=30
    size=1
    activation=linear

    [yolo]
    mask=0,1,2
    anchors=8,8, 16,16, 28,28
    classes=5
    num=3
    jitter=.1
    ignore_thresh=.7
    truth_thresh=1
    iou_loss=ciou
    iou_normalizer=0.07
    random=0
    """

    /// A dataset directory with `shapes.data` (savelast=5, so a `_last` checkpoint appears after 5 iterations).
    func dataset() throws -> String {
        let dir = try SharedData.temporaryDirectory()
        let r = try CLI.run(["dataset", "shapes", "--out", dir + "/shapes", "--count", "40", "--size", "64", "--seed", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        try Self.tinyCfg.write(toFile: dir + "/tiny.cfg", atomically: true, encoding: .utf8)
        let data = try String(contentsOfFile: dir + "/shapes/shapes.data", encoding: .utf8)
        try (data + "savelast=5\n").write(toFile: dir + "/shapes/shapes.data", atomically: true, encoding: .utf8)
        return dir
    }

    func averageLosses(_ stdout: String) -> [Double] {
        stdout.split(separator: "\n").compactMap { line -> Double? in
            // Progress lines: "   12/40: loss …, avg …, rate …".
            guard line.trimmingCharacters(in: .whitespaces).first?.isNumber == true, line.contains("/"),
                  let range = line.range(of: ", avg ") else { return nil }
            return Double(line[range.upperBound...].prefix { $0 != "," })
        }
    }

    func testSmokeRunLossFallsAndWritesCheckpoints() throws {
        let dir = try dataset()
        let data = dir + "/shapes/shapes.data"
        try (try String(contentsOfFile: data, encoding: .utf8) + "saveweights=16\n").write(toFile: data, atomically: true, encoding: .utf8)
        let r = try CLI.run(["train", dir + "/tiny.cfg", "--data", data, "--seed", "2", "--map", "--map-interval", "20"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let losses = averageLosses(r.stdout)
        XCTAssertEqual(losses.count, 40, r.stdout)
        XCTAssertLessThan(losses.last!, 0.7 * losses.first!, "average loss must fall: \(losses)")
        let backup = dir + "/shapes/backup/"
        // _16/_32 every saveweights, _last every savelast=5, _best at the first evaluation (20), _final at the end.
        for file in ["tiny_final.weights", "tiny_last.weights", "tiny_16.weights", "tiny_32.weights", "tiny_best.weights", "chart.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: backup + file), file)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: backup + "tiny_8.weights"))
        func seen(_ file: String) throws -> UInt64 {
            let header = try Data(contentsOf: URL(fileURLWithPath: backup + file)).prefix(20)
            return header.suffix(8).enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        }
        XCTAssertEqual(try seen("tiny_16.weights"), 16 * 8)
        XCTAssertEqual(try seen("tiny_32.weights"), 32 * 8)
        XCTAssertEqual(try seen("tiny_last.weights"), 40 * 8, "the last savelast multiple is the end")
        XCTAssertEqual(try seen("tiny_final.weights"), 40 * 8)
        let bestSeen = try seen("tiny_best.weights")
        XCTAssertTrue(bestSeen == 20 * 8 || bestSeen == 40 * 8, "\(bestSeen)")
        XCTAssertEqual(r.stdout.components(separatedBy: "mean average precision (mAP@0.50) = ").count - 1, 2, r.stdout)
        XCTAssertTrue(r.stdout.contains("learning rate"), r.stdout)
        // The final weights load for inference and detect.
        let detect = try CLI.run(["detect", dir + "/shapes/images/000000.jpg", "--cfg", dir + "/tiny.cfg", "--weights", backup + "tiny_final.weights",
                                  "--names", dir + "/shapes/shapes.names"])
        XCTAssertEqual(detect.status, 0, detect.stderr)
    }

    func testKilledRunResumesFromItsLastCheckpoint() throws {
        let dir = try dataset()
        let last = dir + "/shapes/backup/tiny_last.weights"
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = ["train", dir + "/tiny.cfg", "--data", dir + "/shapes/shapes.data", "--max-batches", "400"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: last) && Date() < deadline { usleep(20_000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertTrue(FileManager.default.fileExists(atPath: last), "no _last checkpoint appeared")
        // The checkpoint is complete (atomic write) and records its iteration: seen = iteration × 8 images.
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: last)[.size] as? Int)
        let layers = try CLI.run(["layers", dir + "/tiny.cfg", "--json"])
        let expected = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(layers.stdout.utf8)) as? [String: Any])["weights_bytes"] as? Int
        XCTAssertEqual(size, expected)
        let header = try XCTUnwrap(FileManager.default.contents(atPath: last))
        let seen = header.subdata(in: 12..<20).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        XCTAssertEqual(seen % 8, 0)
        let savedIteration = Int(seen / 8)
        XCTAssertGreaterThanOrEqual(savedIteration, 5)

        let resumed = try CLI.run(["train", dir + "/tiny.cfg", "--data", dir + "/shapes/shapes.data", "--weights", last,
                                   "--max-batches", String(savedIteration + 3)])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("resuming at iteration \(savedIteration) (the weights' seen = \(seen) images ÷ 8 per iteration"), resumed.stdout)
        XCTAssertTrue(resumed.stdout.contains(String(format: "%6d/%d:", savedIteration + 1, savedIteration + 3)), resumed.stdout)
        XCTAssertEqual(averageLosses(resumed.stdout).count, 3)

        let cleared = try CLI.run(["train", dir + "/tiny.cfg", "--data", dir + "/shapes/shapes.data", "--weights", last, "--clear", "--max-batches", "2"])
        XCTAssertEqual(cleared.status, 0, cleared.stderr)
        XCTAssertTrue(cleared.stdout.contains("starting at iteration 0"), cleared.stdout)
    }

    /// Runs `swiftnet train ARGUMENTS` in the background until `file` exists, then sends `signals` 10 ms apart
    /// (separate deliveries: a still-pending signal is merged). Output goes through a file, so a full pipe never
    /// blocks the run.
    func train(_ arguments: [String], until file: String, signals: [Int32]) throws -> (status: Int32, output: String) {
        let log = try SharedData.temporaryDirectory() + "/train.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = ["train"] + arguments
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: file) && Date() < deadline && process.isRunning { usleep(10_000) }
        for (k, signal) in signals.enumerated() {
            if k > 0 { usleep(10_000) }
            kill(process.processIdentifier, signal)
        }
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, try String(contentsOfFile: log, encoding: .utf8))
    }

    func testInterruptSavesLastAndExitsWithTheSignalStatus() throws {
        let dir = try dataset()
        let backup = dir + "/shapes/backup/"
        let r = try train([dir + "/tiny.cfg", "--data", dir + "/shapes/shapes.data", "--max-batches", "100000"],
                          until: backup + "chart.png", signals: [SIGINT])
        XCTAssertEqual(r.status, 130, "saved but not finished: 128 + SIGINT\n" + r.output)
        XCTAssertTrue(r.output.contains("interrupted at iteration"), r.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: backup + "tiny_last.weights"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: backup + "tiny_final.weights"))
    }

    /// A second Ctrl-C does not wait for the iteration to finish: exit 130 at once.
    func testSecondInterruptExitsAtOnce() throws {
        let dir = try dataset()
        // 512×512 input and 64 images per step: iterations of about a second, so the second signal lands inside one.
        let r = try train([dir + "/tiny.cfg", "--data", dir + "/shapes/shapes.data", "--max-batches", "100000",
                           "--width", "512", "--height", "512", "--set", "net.batch=64", "--set", "net.subdivisions=1"],
                          until: dir + "/shapes/backup/chart.png", signals: [SIGINT, SIGINT])
        XCTAssertEqual(r.status, 130, r.output)
        XCTAssertTrue(r.output.contains("stopping now without saving"), r.output)
        XCTAssertFalse(r.output.contains("interrupted at iteration"), r.output)
    }

    /// SIGTERM stops like a first Ctrl-C (save `_last`, exit 128 + 15).
    func testTerminateSavesLast() throws {
        let dir = try dataset()
        let backup = dir + "/shapes/backup/"
        let r = try train([dir + "/tiny.cfg", "--data", dir + "/shapes/shapes.data", "--max-batches", "100000"],
                          until: backup + "chart.png", signals: [SIGTERM])
        XCTAssertEqual(r.status, 143, r.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: backup + "tiny_last.weights"))
    }

    /// SIGHUP (a closed terminal or ssh session) stops like SIGTERM: `_last` saved, exit 128 + 1.
    func testHangupSavesLast() throws {
        let dir = try dataset()
        let backup = dir + "/shapes/backup/"
        let r = try train([dir + "/tiny.cfg", "--data", dir + "/shapes/shapes.data", "--max-batches", "100000"],
                          until: backup + "chart.png", signals: [SIGHUP])
        XCTAssertEqual(r.status, 129, r.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: backup + "tiny_last.weights"))
    }

    /// `swiftnet train … | head -1`: once the reader is gone, printing stops but training goes on to the end.
    func testClosedStdoutDoesNotStopTraining() throws {
        let dir = try dataset()
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = ["train", dir + "/tiny.cfg", "--data", dir + "/shapes/shapes.data", "--max-batches", "6"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        _ = out.fileHandleForReading.availableData   // the first line, then the reader goes away
        try out.fileHandleForReading.close()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit, String(decoding: errors, as: UTF8.self))
        XCTAssertEqual(process.terminationStatus, 0, String(decoding: errors, as: UTF8.self))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/shapes/backup/tiny_final.weights"))
    }

    /// `poly` decays to 0 at the run's end even when `--max-batches` goes past the cfg's max_batches.
    func testPolyScheduleEndsAtTheEffectiveMaxBatches() throws {
        let dir = try dataset()
        // The cfg as --cfg works as well as positionally.
        let r = try CLI.run(["train", "--cfg", dir + "/tiny.cfg", "--data", dir + "/shapes/shapes.data", "--max-batches", "6",
                             "--set", "net.max_batches=5", "--set", "net.burn_in=0", "--set", "net.policy=poly", "--set", "net.power=0.5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rates = r.stdout.split(separator: "\n").compactMap { line -> Double? in
            guard let range = line.range(of: ", rate ") else { return nil }
            return Double(line[range.upperBound...].prefix { $0 != "," })
        }
        XCTAssertEqual(rates.count, 6, r.stdout)
        // lr·(1 − t/6)^0.5 for t = 1…6.
        for (t, rate) in rates.enumerated() {
            XCTAssertEqual(rate, 0.005 * (1 - Double(t + 1) / 6).squareRoot(), accuracy: 1e-6, "iteration \(t + 1)")
        }
    }

    /// Problems darknet would only hit mid-run (or never check) stop before the first iteration, naming the file.
    func testDataProblemsStopBeforeTraining() throws {
        let dir = try dataset()
        let data = dir + "/shapes/shapes.data"
        let original = try String(contentsOfFile: data, encoding: .utf8)
        try (original + "saveweights=0\n").write(toFile: data, atomically: true, encoding: .utf8)
        var r = try CLI.run(["train", dir + "/tiny.cfg", "--data", data])
        XCTAssertEqual(r.status, 65)
        let line = original.components(separatedBy: "\n").count   // the appended line (the original ends with a newline)
        XCTAssertTrue(r.stderr.contains("\(data):\(line): saveweights=0: must be at least 1"), r.stderr)

        try original.write(toFile: data, atomically: true, encoding: .utf8)
        let valid = dir + "/shapes/valid.txt"
        let listed = try String(contentsOfFile: valid, encoding: .utf8)
        try (listed + dir + "/shapes/images/gone.jpg\n").write(toFile: valid, atomically: true, encoding: .utf8)
        r = try CLI.run(["train", dir + "/tiny.cfg", "--data", data, "--map", "--map-interval", "1"])
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("\(valid):\(listed.split(separator: "\n").count + 1): image \(dir)/shapes/images/gone.jpg does not exist"), r.stderr)
        XCTAssertFalse(r.stdout.contains("1/"), "no iteration may run")

        // Weights whose header claims an impossible number of seen images.
        try listed.write(toFile: valid, atomically: true, encoding: .utf8)
        r = try CLI.run(["train", dir + "/tiny.cfg", "--data", data, "--max-batches", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let weights = dir + "/shapes/backup/tiny_final.weights"
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: weights))
        withUnsafeBytes(of: (UInt64(1) << 63 + 64).littleEndian) { bytes.replaceSubrange(12..<20, with: $0) }
        try bytes.write(to: URL(fileURLWithPath: weights))
        r = try CLI.run(["train", dir + "/tiny.cfg", "--data", data, "--weights", weights])
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("\(weights): header says 9223372036854775872 images were seen"), r.stderr)
    }

    /// An error after training started (here training images that stop decoding) still saves `_last`; an
    /// undecodable validation image is found before the first iteration.
    func testErrorMidRunSavesLast() throws {
        let dir = try dataset()
        let valid = dir + "/shapes/valid.txt"
        let listed = try String(contentsOfFile: valid, encoding: .utf8)
        let broken = dir + "/shapes/images/broken.jpg"
        try Data("not a jpeg".utf8).write(to: URL(fileURLWithPath: broken))
        try (listed + broken + "\n").write(toFile: valid, atomically: true, encoding: .utf8)
        let early = try CLI.run(["train", dir + "/tiny.cfg", "--data", dir + "/shapes/shapes.data", "--map", "--map-interval", "3"])
        XCTAssertEqual(early.status, 65)
        XCTAssertTrue(early.stderr.contains("the validation images have 1 errors"), early.stderr)
        XCTAssertTrue(early.stderr.contains("broken.jpg"), early.stderr)
        XCTAssertFalse(early.stdout.contains("1/"), "no iteration may run")
        try listed.write(toFile: valid, atomically: true, encoding: .utf8)

        let log = dir + "/train.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = ["train", dir + "/tiny.cfg", "--data", dir + "/shapes/shapes.data", "--max-batches", "100000"]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardError = FileHandle.nullDevice
        try process.run()
        let last = dir + "/shapes/backup/tiny_last.weights"
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: last) && Date() < deadline { usleep(10_000) }
        let train = try String(contentsOfFile: dir + "/shapes/train.txt", encoding: .utf8).split(separator: "\n")
        for image in train { try Data("not a jpeg".utf8).write(to: URL(fileURLWithPath: String(image))) }
        process.waitUntilExit()
        let stdout = try String(contentsOfFile: log, encoding: .utf8)
        XCTAssertEqual(process.terminationStatus, 65, stdout)
        let match = try XCTUnwrap(stdout.firstMatch(of: #/stopped by an error at iteration (\d+); saved (\S+)/#), stdout)
        XCTAssertEqual(String(match.2), last)
        let iteration = try XCTUnwrap(Int(match.1))
        XCTAssertGreaterThanOrEqual(iteration, 5)
        let header = try XCTUnwrap(FileManager.default.contents(atPath: last))
        XCTAssertEqual(header.subdata(in: 12..<20).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }, UInt64(iteration * 8))
    }

    /// With `ema_alpha`, `<base>_ema.weights` is written with `_last` once the average runs (from max_batches/2 until
    /// max_batches − 1000): resumed at iteration 1000 of 2004, the average starts at 1002, a `_last` iteration (savelast=3).
    func testEMAWeightsAreSavedWithLast() throws {
        let dir = try dataset()
        let data = dir + "/shapes/shapes.data"
        try (try String(contentsOfFile: data, encoding: .utf8).replacingOccurrences(of: "savelast=5", with: "savelast=3"))
            .write(toFile: data, atomically: true, encoding: .utf8)
        var r = try CLI.run(["train", dir + "/tiny.cfg", "--data", data, "--max-batches", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let start = dir + "/start.weights"
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: dir + "/shapes/backup/tiny_final.weights"))
        withUnsafeBytes(of: UInt64(1000 * 8).littleEndian) { bytes.replaceSubrange(12..<20, with: $0) }
        try bytes.write(to: URL(fileURLWithPath: start))
        let ema = dir + "/shapes/backup/tiny_ema.weights"
        _ = try train([dir + "/tiny.cfg", "--data", data, "--weights", start, "--max-batches", "2004", "--set", "net.ema_alpha=0.9"],
                      until: ema, signals: [SIGTERM])
        let saved = try XCTUnwrap(FileManager.default.contents(atPath: ema))
        XCTAssertEqual(saved.count, bytes.count)
        // First written at 1002; later `_last` iterations (multiples of 3) rewrite it until the run is stopped.
        let iteration = saved.subdata(in: 12..<20).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } / 8
        XCTAssertTrue(iteration >= 1002 && iteration % 3 == 0, "\(iteration)")
        r = try CLI.run(["detect", dir + "/shapes/images/000000.jpg", "--cfg", dir + "/tiny.cfg", "--weights", ema])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    /// Relative `.data` and list entries are read from the working directory, as darknet reads them: from the
    /// dataset's folder they work, from elsewhere the error says where they are. Without `valid=` the training
    /// list is evaluated (darknet's default). The bundled model on 256-px shapes scores well above 0.
    func testRelativePathsAreReadFromTheWorkingDirectory() throws {
        let dir = try SharedData.temporaryDirectory()
        var r = try CLI.run(["dataset", "shapes", "--out", dir + "/s", "--count", "30", "--seed", "5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for list in ["train", "valid"] {
            let entries = try String(contentsOfFile: dir + "/s/\(list).txt", encoding: .utf8).replacingOccurrences(of: dir + "/s/", with: "")
            XCTAssertFalse(entries.contains(dir))
            try entries.write(toFile: dir + "/s/\(list)_rel.txt", atomically: true, encoding: .utf8)
        }
        try "classes=5\ntrain=train_rel.txt\nvalid=valid_rel.txt\nnames=shapes.names\nbackup=backup\n"
            .write(toFile: dir + "/s/rel.data", atomically: true, encoding: .utf8)
        let root = SharedData.projectRoot.path
        let arguments = ["train", root + "/cfg/shapes.cfg", "--data", dir + "/s/rel.data", "--weights", root + "/data/shapes.weights", "--clear",
                         "--max-batches", "1", "--map", "--map-interval", "1", "--set", "net.learning_rate=0", "--set", "net.batch=4"]
        func mAP(_ stdout: String) -> Double? {
            stdout.range(of: "(mAP@0.50) = ").flatMap { Double(stdout[$0.upperBound...].prefix { $0 != " " }) }
        }
        r = try CLI.run(arguments, directory: root)
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("\(dir)/s/rel.data:2: train=train_rel.txt: the list of training images does not exist; relative paths are read from the working directory, as darknet does, and \(dir)/s/train_rel.txt exists relative to the .data file's folder"), r.stderr)
        r = try CLI.run(arguments, directory: dir + "/s")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertGreaterThan(try XCTUnwrap(mAP(r.stdout), r.stdout), 0.5, r.stdout)

        try "classes=5\ntrain=train_rel.txt\nnames=shapes.names\nbackup=backup\n".write(toFile: dir + "/s/rel.data", atomically: true, encoding: .utf8)
        r = try CLI.run(arguments, directory: dir + "/s")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("no valid= list; --map evaluates on the training list train_rel.txt"), r.stdout)
        XCTAssertGreaterThan(try XCTUnwrap(mAP(r.stdout), r.stdout), 0.5, r.stdout)
    }

    func testMismatchesStopBeforeAnyCompute() throws {
        let dir = try dataset()
        let data = dir + "/shapes/shapes.data"
        let original = try String(contentsOfFile: data, encoding: .utf8)
        func train() throws -> CLI.Result { try CLI.run(["train", dir + "/tiny.cfg", "--data", data]) }

        try original.replacingOccurrences(of: "classes=5", with: "classes=4").write(toFile: data, atomically: true, encoding: .utf8)
        var r = try train()
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.hasPrefix("error: \(data):1: classes=4 but \(dir)/tiny.cfg has classes=5 in its last [yolo] layer"), r.stderr)
        XCTAssertFalse(r.stdout.contains("1/"), "no iteration may run")

        try original.write(toFile: data, atomically: true, encoding: .utf8)
        try "circle\nsquare\n".write(toFile: dir + "/shapes/shapes.names", atomically: true, encoding: .utf8)
        r = try train()
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("shapes.names: has 2 class names but \(dir)/tiny.cfg has classes=5"), r.stderr)

        try original.replacingOccurrences(of: "train.txt", with: "missing.txt").write(toFile: data, atomically: true, encoding: .utf8)
        r = try train()
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("\(data):2: train=\(dir)/shapes/missing.txt: the list of training images does not exist"), r.stderr)
    }

    func testNaNStopsWithTheBatchImages() throws {
        let dir = try dataset()
        let exploding = Self.tinyCfg.replacingOccurrences(of: "learning_rate=0.005", with: "learning_rate=1e30")
            .replacingOccurrences(of: "burn_in=5", with: "burn_in=0")
            .replacingOccurrences(of: "exposure=1.2", with: "exposure=1.2\nmosaic=1")
        try exploding.write(toFile: dir + "/boom.cfg", atomically: true, encoding: .utf8)
        let r = try CLI.run(["train", dir + "/boom.cfg", "--data", dir + "/shapes/shapes.data"])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stderr.contains("became NaN or infinite"), r.stderr)
        // One line per image of the failing pass, naming every source image (four for a mosaic, one otherwise).
        let listed = r.stderr.components(separatedBy: "Images of the batch:\n").last?.split(separator: "\n")
            .filter { $0.hasPrefix("  ") } ?? []
        XCTAssertTrue(listed.count == 4 || listed.count == 8, "one subdivision (4 images) or the whole batch (8): \(r.stderr)")
        for line in listed {
            let sources = line.trimmingCharacters(in: .whitespaces).components(separatedBy: " + ")
            XCTAssertTrue(sources.count == 1 || sources.count == 4, String(line))
            XCTAssertTrue(sources.allSatisfy { $0.contains("/images/") && $0.hasSuffix(".jpg") }, String(line))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/shapes/backup/boom_final.weights"))
    }

    func testMultiScaleTrainingResizesTheNetwork() throws {
        let dir = try dataset()
        let multiScale = Self.tinyCfg.replacingOccurrences(of: "random=0", with: "random=1")
        try multiScale.write(toFile: dir + "/ms.cfg", atomically: true, encoding: .utf8)
        let r = try CLI.run(["train", dir + "/ms.cfg", "--data", dir + "/shapes/shapes.data", "--max-batches", "12"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // The first resize uses the largest size: round(1.4·64/32 + 1)·32 = 128.
        XCTAssertTrue(r.stdout.contains("(128×128)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("multi-scale training (random=1.0): every 10 iterations a size around 64×64 in steps of 32; the first batches at the largest, 128×128"), r.stdout)
    }

    /// `--backup DIR` replaces the .data file's backup folder (created when missing).
    func testBackupOptionChoosesTheCheckpointFolder() throws {
        let dir = try dataset()
        let r = try CLI.run(["train", dir + "/tiny.cfg", "--data", dir + "/shapes/shapes.data", "--max-batches", "2", "--backup", dir + "/ck/sub"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/ck/sub/tiny_final.weights"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/shapes/backup/tiny_final.weights"))
    }

    func testPartialKeepsTheFirstLayers() throws {
        let dir = try dataset()
        let r = try CLI.run(["train", dir + "/tiny.cfg", "--data", dir + "/shapes/shapes.data", "--max-batches", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let weights = dir + "/shapes/backup/tiny_final.weights"
        let p = try CLI.run(["partial", dir + "/tiny.cfg", weights, dir + "/tiny.conv.2", "2"])
        XCTAssertEqual(p.status, 0, p.stderr)
        // Layers 0 and 1: 8·(3·9) + 8·4 BN/bias floats, 16·(8·9) + 16·4.
        let expected = 20 + 4 * (8 * 27 + 8 * 4 + 16 * 72 + 16 * 4)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: dir + "/tiny.conv.2")[.size] as? Int, expected)
        let resumed = try CLI.run(["train", dir + "/tiny.cfg", "--data", dir + "/shapes/shapes.data", "--weights", dir + "/tiny.conv.2", "--max-batches", "2"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("loaded the first 2 of 4 parameterised layers"), resumed.stdout)
        XCTAssertTrue(resumed.stdout.contains("starting at iteration 0"), resumed.stdout)
    }

    /// check-data reports an image listed twice and images in both lists; train and valid naming the same list file
    /// report each problem once.
    func testCheckDataFindsDuplicatesAndOverlapOnce() throws {
        let dir = try dataset()
        let root = dir + "/shapes/"
        let train = try String(contentsOfFile: root + "train.txt", encoding: .utf8).split(separator: "\n").map(String.init)
        let valid = try String(contentsOfFile: root + "valid.txt", encoding: .utf8).split(separator: "\n").map(String.init)
        try ((train + [train[2]]).joined(separator: "\n") + "\n").write(toFile: root + "train.txt", atomically: true, encoding: .utf8)
        try ((valid + [train[5]]).joined(separator: "\n") + "\n").write(toFile: root + "valid.txt", atomically: true, encoding: .utf8)
        let r = try CLI.run(["check-data", "--data", root + "shapes.data"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("warning: \(root)train.txt:\(train.count + 1): \(train[2]) is listed again (first at line 3)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("warning: \(root)valid.txt:\(valid.count + 1): \(train[5]) is also in \(root)train.txt (line 6): evaluating on training images overstates mAP"), r.stdout)
        XCTAssertTrue(r.stdout.hasPrefix("\(train.count + valid.count) images,"), r.stdout)

        // valid= naming the training list: every image is checked, and every problem reported, once.
        let data = try String(contentsOfFile: root + "shapes.data", encoding: .utf8)
        try data.replacingOccurrences(of: "valid=\(root)valid.txt", with: "valid=\(root)train.txt").write(toFile: root + "same.data", atomically: true, encoding: .utf8)
        let same = try CLI.run(["check-data", "--data", root + "same.data"])
        XCTAssertEqual(same.status, 0, same.stdout + same.stderr)
        XCTAssertTrue(same.stdout.hasPrefix("\(train.count) images,"), same.stdout)
        XCTAssertEqual(same.stdout.components(separatedBy: "is listed again").count - 1, 1, same.stdout)
        XCTAssertFalse(same.stdout.contains("is also in"), same.stdout)

        // A space inside a .data value: darknet removes it, and the error says so.
        try FileManager.default.moveItem(atPath: root + "train.txt", toPath: root + "my train.txt")
        try data.replacingOccurrences(of: "train=\(root)train.txt", with: "train = \(root)my train.txt").write(toFile: root + "spaced.data", atomically: true, encoding: .utf8)
        let spaced = try CLI.run(["check-data", "--data", root + "spaced.data"])
        XCTAssertEqual(spaced.status, 65)
        XCTAssertTrue(spaced.stderr.contains("darknet removes every space from .data lines, so '\(root)my train.txt' reads as '\(root)mytrain.txt'"), spaced.stderr)
    }

    func testCheckDataListsEveryKindOfErrorAndSkipBadTrains() throws {
        let dir = try dataset()
        let root = dir + "/shapes/"
        let trainList = try String(contentsOfFile: root + "train.txt", encoding: .utf8).split(separator: "\n").map(String.init)
        // Paths in the list start with the dataset folder as it was given; make them absolute here.
        let images = trainList.prefix(8).map { dir + "/" + $0.dropFirst(dir.hasPrefix("/") ? dir.count + 1 : 0) }
        func labelPath(_ image: String) -> String { (image as NSString).deletingPathExtension + ".txt" }
        func resolved(_ p: String) -> String { p.hasPrefix("/") ? p : dir + "/" + p }
        let imagePaths = trainList.prefix(8).map(resolved)
        try "not an image".write(toFile: imagePaths[0], atomically: true, encoding: .utf8)
        try "9 0.5 0.5 0.1 0.1\n".write(toFile: labelPath(imagePaths[1]), atomically: true, encoding: .utf8)
        try "0 1.5 0.5 0.1 0.1\n".write(toFile: labelPath(imagePaths[2]), atomically: true, encoding: .utf8)
        try "0 0.5 0.5 0 0.1\n".write(toFile: labelPath(imagePaths[3]), atomically: true, encoding: .utf8)
        let dup = try String(contentsOfFile: labelPath(imagePaths[4]), encoding: .utf8).split(separator: "\n")[0]
        try "\(dup)\n\(dup)\n".write(toFile: labelPath(imagePaths[4]), atomically: true, encoding: .utf8)
        try "0 0.5 x 0.1 0.1\n".write(toFile: labelPath(imagePaths[5]), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: labelPath(imagePaths[6]))
        try "".write(toFile: labelPath(imagePaths[7]), atomically: true, encoding: .utf8)
        let missing = root + "images/nope.jpg"
        try (trainList.joined(separator: "\n") + "\n" + missing + "\n").write(toFile: root + "train.txt", atomically: true, encoding: .utf8)
        _ = images

        let r = try CLI.run(["check-data", "--data", root + "shapes.data", "--train-only"])
        XCTAssertEqual(r.status, 65, r.stdout + r.stderr)
        let expected = [
            "error: \(imagePaths[0]): not a JPEG or PNG image",
            "error: \(labelPath(imagePaths[1])):1: class 9 is out of range 0..<5",
            "error: \(labelPath(imagePaths[2])):1: box 1.5 0.5 0.1 0.1 is outside [0, 1]",
            "error: \(labelPath(imagePaths[3])):1: box has zero size",
            "error: \(labelPath(imagePaths[4])):2: repeats line 1",
            "error: \(labelPath(imagePaths[5])):1: '",
            "error: \(root)train.txt:\(trainList.count + 1): image \(missing) does not exist",
            "warning: \(labelPath(imagePaths[6])): no label file",
            "warning: \(labelPath(imagePaths[7])): empty label file",
        ]
        for line in expected { XCTAssertTrue(r.stdout.contains(line), "missing '\(line)' in:\n\(r.stdout)") }
        XCTAssertTrue(r.stdout.contains("7 errors in 7 images, 2 warnings"), r.stdout)

        let json = try CLI.run(["check-data", "--data", root + "shapes.data", "--train-only", "--json"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((object["errors"] as? [Any])?.count, 7)
        XCTAssertEqual(object["bad_images"] as? Int, 7)

        let refused = try CLI.run(["train", dir + "/tiny.cfg", "--data", root + "shapes.data", "--max-batches", "2"])
        XCTAssertEqual(refused.status, 65)
        XCTAssertTrue(refused.stderr.contains("the training data has 7 errors in 7 images; fix them or pass --skip-bad"), refused.stderr)
        let skipped = try CLI.run(["train", dir + "/tiny.cfg", "--data", root + "shapes.data", "--max-batches", "2", "--skip-bad"])
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertTrue(skipped.stdout.contains("skipping 7 images with errors (--skip-bad)"), skipped.stdout)
        XCTAssertTrue(skipped.stdout.contains(missing), skipped.stdout)
    }
}

/// Issue acceptance: a generated 3-class yolov4-pacsp trains a few iterations on a 3-class shapes dataset.
final class ZooTrainingTests: XCTestCase {
    func testGeneratedPacspWithThreeClassesTrains() throws {
        let dir = try SharedData.temporaryDirectory()
        var r = try CLI.run(["dataset", "shapes", "--out", dir + "/s3", "--count", "24", "--size", "96", "--classes", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try CLI.run(["cfg", "yolov4-pacsp", "--classes", "3", "--width", "96", "--height", "96", "--batch", "2", "--subdivisions", "1",
                         "--out", dir + "/pacsp3.cfg"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let cfg = try String(contentsOfFile: dir + "/pacsp3.cfg", encoding: .utf8)
        XCTAssertEqual(cfg.components(separatedBy: "filters=24\n").count - 1, 3, "three heads with (3+5)·3 filters")
        r = try CLI.run(["train", dir + "/pacsp3.cfg", "--data", dir + "/s3/shapes.data", "--max-batches", "5", "--set", "yolo.random=0"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("     5/5: loss "), r.stdout)
        XCTAssertFalse(r.stdout.lowercased().contains("nan"), r.stdout)
    }
}

/// Classifier training, validation and the augment preview on a tiny generated classification set.
final class ClassifierCommandTests: XCTestCase {
    func testClassifierTrainsValidatesAndPreviews() throws {
        let dir = try SharedData.temporaryDirectory()
        var r = try CLI.run(["dataset", "shapes", "--classification", "--out", dir + "/cls", "--count", "40", "--size", "64", "--classes", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try CLI.run(["cfg", "csdarknet-shapes", "--classes", "3", "--batch", "8", "--out", dir + "/cls.cfg"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try CLI.run(["train", dir + "/cls.cfg", "--data", dir + "/cls/shapes.data", "--max-batches", "6", "--map", "--map-interval", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("top-1 accuracy = "), r.stdout)
        XCTAssertTrue(r.stdout.contains("best top-1 accuracy = "), r.stdout)
        let weights = dir + "/cls/backup/cls_final.weights"
        r = try CLI.run(["valid", "--data", dir + "/cls/shapes.data", "--cfg", dir + "/cls.cfg", "--weights", weights])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("8 images: top 1: "), r.stdout)
        XCTAssertTrue(r.stdout.contains(", top 2: "), "top = .data's top=2: \(r.stdout)")
        r = try CLI.run(["classify", dir + "/cls/images/circle_000000.jpg", "--cfg", dir + "/cls.cfg", "--weights", weights,
                         "--names", dir + "/cls/shapes.names", "--top", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").count, 4)

        let data = try String(contentsOfFile: dir + "/cls/shapes.data", encoding: .utf8)
        try data.replacingOccurrences(of: "top=2", with: "top=-1").write(toFile: dir + "/cls/bad.data", atomically: true, encoding: .utf8)
        r = try CLI.run(["valid", "--data", dir + "/cls/bad.data", "--cfg", dir + "/cls.cfg", "--weights", weights])
        XCTAssertEqual(r.status, 65, r.stdout)
        XCTAssertTrue(r.stderr.contains("bad.data:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("top=-1: must be at least 1"), r.stderr)

        r = try CLI.run(["augment", "--data", dir + "/cls/shapes.data", "--cfg", dir + "/cls.cfg", "--count", "1", "--out", weights + "/sub"])
        XCTAssertEqual(r.status, 74)
        XCTAssertTrue(r.stderr.contains("\(weights)/sub: cannot create the directory: \(weights) is a file"), r.stderr)

        r = try CLI.run(["augment", "--data", dir + "/cls/shapes.data", "--cfg", dir + "/cls.cfg", "--count", "3", "--out", dir + "/aug", "--draw"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let targets = try String(contentsOfFile: dir + "/aug/0000.txt", encoding: .utf8).split(separator: " ").compactMap { Float($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        XCTAssertEqual(targets.count, 3)
        XCTAssertEqual(targets.reduce(0, +), 1, accuracy: 1e-4, "soft targets sum to 1")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/aug/0002_boxes.png"))
    }

    func testDetectionAugmentPreviewWritesLabelsThatFitTheImage() throws {
        let dir = try SharedData.temporaryDirectory()
        var r = try CLI.run(["dataset", "shapes", "--out", dir + "/s", "--count", "12", "--size", "96"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try CLI.run(["augment", "--data", dir + "/s/shapes.data", "--cfg", SharedData.projectRoot.path + "/cfg/shapes.cfg",
                         "--count", "4", "--out", dir + "/aug", "--draw", "--set", "net.mosaic=1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for k in 0..<4 {
            let image = try ImageIO.readRGB(dir + String(format: "/aug/%04d.png", k))
            XCTAssertEqual(image.width, 160)
            let lines = try String(contentsOfFile: dir + String(format: "/aug/%04d.txt", k), encoding: .utf8).split(separator: "\n")
            for line in lines {
                let v = line.split(separator: " ").map { Double($0)! }
                XCTAssertTrue(v[1] > 0 && v[1] < 1 && v[2] > 0 && v[2] < 1 && v[3] > 0 && v[4] > 0, String(line))
            }
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + String(format: "/aug/%04d_boxes.png", k)))
        }
    }
}
