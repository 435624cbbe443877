import Foundation
import TestSupport
import XCTest

final class CommandTests: XCTestCase {
    /// One look for every error, and the documented exit statuses: 64 usage, 65 bad input data, 74 I/O.
    func testErrorsAndExitStatuses() throws {
        let usage = try CLI.run(["detect"])
        XCTAssertEqual(usage.status, 64)
        XCTAssertTrue(usage.stderr.hasPrefix("error: give at least one image"), usage.stderr)
        let unknown = try CLI.run(["layers", "--bogus"])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.hasPrefix("error: "), unknown.stderr)
        let dir = try SharedData.temporaryDirectory()
        try "[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilters=x\n".write(toFile: dir + "/bad.cfg", atomically: true, encoding: .utf8)
        let data = try CLI.run(["layers", dir + "/bad.cfg"])
        XCTAssertEqual(data.status, 65)
        XCTAssertEqual(data.stderr, "error: \(dir)/bad.cfg:6: filters: expected an integer, got 'x'\n")
        let io = try CLI.run(["dataset", "sample", "--out", dir + "/missing/folder/s.jpg"])
        XCTAssertEqual(io.status, 74, io.stderr)
        XCTAssertTrue(io.stderr.hasPrefix("error: \(dir)/missing/folder/s.jpg: cannot write"), io.stderr)
    }

    /// Every command that reads a cfg takes it positionally or as --cfg; --width or --height alone is a square input.
    func testCfgEitherWayAndSquareSizes() throws {
        let cfg = try SharedData.path("cfg/yolov4-tiny.cfg")
        for arguments in [["layers", cfg], ["layers", "--cfg", cfg], ["layers", cfg, "--cfg", cfg]] {
            let r = try CLI.run(arguments + ["--height", "320", "--json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            XCTAssertEqual((object["layers"] as? [[String: Any]])?.first?["input"] as? [Int], [320, 320, 3])
        }
        let two = try CLI.run(["layers", cfg, "--cfg", "other.cfg"])
        XCTAssertEqual(two.status, 64)
        XCTAssertTrue(two.stderr.contains("two cfg files"), two.stderr)
        let none = try CLI.run(["layers"])
        XCTAssertEqual(none.status, 64)
        XCTAssertTrue(none.stderr.contains("give a .cfg file (positionally or as --cfg)"), none.stderr)
    }

    func testThreadsAboveTheCoreCountAreClamped() throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let r = try CLI.run(["benchmark", SharedData.projectRoot.appendingPathComponent("cfg/shapes.cfg").path,
                             "--threads", String(cores + 7), "--runs", "1", "--warmup", "0"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("warning: --threads \(cores + 7) is more than the \(cores) cores of this machine; using \(cores)"), r.stderr)
        XCTAssertTrue(r.stdout.contains(", \(cores) threads: median"), r.stdout)
    }

    func testShapesDatasetRefusesAnEmptyTrainingList() throws {
        let dir = try SharedData.temporaryDirectory()
        let r = try CLI.run(["dataset", "shapes", "--out", dir + "/s", "--count", "3", "--valid-fraction", "0.9"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("puts all 3 images in valid.txt and none in train.txt"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/s"))
    }

    func testVersionNamesTheBLASKernel() throws {
        let r = try CLI.run(["--version"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("swiftnet "), r.stdout)
        XCTAssertTrue(r.stdout.contains("BLAS: OpenBLAS"), r.stdout)
        XCTAssertTrue(r.stdout.contains(", kernel "), r.stdout)
    }

    func testLayersJSONHasTheDocumentedFields() throws {
        let cfg = try SharedData.path("cfg/yolov4-tiny.cfg")
        let r = try CLI.run(["layers", cfg, "--json", "--width", "320", "--height", "256"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["weights_bytes"] as? Int, 24_251_276)
        XCTAssertEqual(object["parameters"] as? Int, (24_251_276 - 20) / 4)
        let layers = try XCTUnwrap(object["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.count, 38)
        XCTAssertEqual(layers[0]["input"] as? [Int], [320, 256, 3])
        XCTAssertEqual(layers[0]["output"] as? [Int], [160, 128, 32])
        XCTAssertEqual(layers[0]["filters"] as? Int, 32)
        XCTAssertEqual(layers[0]["size"] as? Int, 3)
        XCTAssertEqual(layers[0]["stride"] as? Int, 2)
        XCTAssertEqual(layers[30]["type"] as? String, "yolo")
        XCTAssertEqual(layers[30]["output"] as? [Int], [10, 8, 255])
        XCTAssertNotNil(layers[0]["bflops"] as? Double)
        // Every layer has every key; those a layer does not have are null.
        let keys: Set = ["index", "type", "filters", "size", "stride", "input", "output", "bflops"]
        for layer in layers { XCTAssertEqual(Set(layer.keys), keys, "\(layer)") }
        XCTAssertTrue(layers[30]["filters"] is NSNull && layers[30]["size"] is NSNull)
        let pool = try XCTUnwrap(layers.first { $0["type"] as? String == "maxpool" })
        XCTAssertEqual(pool["size"] as? Int, 2)
        XCTAssertEqual(pool["stride"] as? Int, 2)
        XCTAssertTrue(pool["filters"] is NSNull)
    }

    func testDetectWritesJSONAnnotatedImageAndRawTensors() throws {
        let model = try SharedData.path("models/yolov3-tiny-coco")
        let image = try SharedData.path("images/dog.jpg")
        let out = try SharedData.temporaryDirectory()
        let list = out + "/list.txt"
        try (image + "\n\n").write(toFile: list, atomically: true, encoding: .utf8)
        let r = try CLI.run(["detect", list, "--cfg", model + "/yolov3-tiny.cfg", "--weights", model + "/yolov3-tiny.weights",
                             "--names", model + "/coco.names", "--ext-output", "--out", out + "/result.json",
                             "--output-dir", out + "/images", "--save-raw", out + "/raw"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].hasPrefix(image + ": Predicted in "))
        XCTAssertEqual(lines.count, 7)
        XCTAssertTrue(lines[1].hasPrefix("dog: 81%\t(left_x:  124   top_y:  220   width:  258   height:  298)"), lines[1])
        let json = try String(contentsOfFile: out + "/result.json", encoding: .utf8)
        XCTAssertTrue(json.hasPrefix("[\n{\n \"frame_id\":1, \n \"filename\":\"\(image)\", \n \"objects\": [ \n  {\"class_id\":"), json)
        XCTAssertTrue(json.hasSuffix("\n ] \n}\n]\n"))
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        XCTAssertEqual((parsed[0]["objects"] as? [[String: Any]])?.count, 6)
        let jpeg = try XCTUnwrap(FileManager.default.contents(atPath: out + "/images/dog.jpg"))
        XCTAssertEqual(Array(jpeg.prefix(2)), [0xFF, 0xD8])
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/raw/dog/yolo_016.npy"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/raw/dog/yolo_023.npy"))
    }

    /// `--data` (names from the .data file), `--thresh`, `--nms` and `--letterbox` reach the pipeline.
    func testDetectOptionsReachThePipeline() throws {
        let model = try SharedData.path("models/yolov3-tiny-coco")
        let image = try SharedData.path("images/dog.jpg")
        let out = try SharedData.temporaryDirectory()
        try "classes=80\nnames=\(model)/coco.names\n".write(toFile: out + "/coco.data", atomically: true, encoding: .utf8)
        let base = ["detect", image, "--cfg", model + "/yolov3-tiny.cfg", "--weights", model + "/yolov3-tiny.weights", "--data", out + "/coco.data"]
        func objects(_ extra: [String]) throws -> [[String: Any]] {
            let r = try CLI.run(base + extra + ["--out", out + "/r.json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let parsed = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/r.json"))) as? [[String: Any]]
            return try XCTUnwrap(parsed?.first?["objects"] as? [[String: Any]])
        }
        // darknet at -thresh 0.05 (oracle): 14 objects for dog.jpg, with the same class names.
        let oracle = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath:
            try SharedData.path("oracle/detect/yolov3-tiny-coco_thresh0.05.json")))) as? [[String: Any]])
        let expected = try XCTUnwrap(oracle.first { ($0["filename"] as? String)?.hasSuffix("dog.jpg") == true }?["objects"] as? [[String: Any]])
        let low = try objects(["--thresh", "0.05"])
        XCTAssertEqual(low.count, expected.count)
        XCTAssertEqual(low.compactMap { $0["name"] as? String }.sorted(), expected.compactMap { $0["name"] as? String }.sorted())
        // NMS at 0.99 suppresses almost nothing: more boxes survive.
        XCTAssertGreaterThan(try objects(["--thresh", "0.05", "--nms", "0.99"]).count, low.count)
        // Letterbox: the dog is still found, at other coordinates than the plain resize gives.
        let plain = try CLI.run(base + ["--ext-output"]), boxed = try CLI.run(base + ["--ext-output", "--letterbox"])
        XCTAssertEqual(boxed.status, 0, boxed.stderr)
        let dogPlain = plain.stdout.split(separator: "\n").first { $0.hasPrefix("dog: ") }
        let dogBoxed = boxed.stdout.split(separator: "\n").first { $0.hasPrefix("dog: ") }
        XCTAssertNotNil(dogBoxed, boxed.stdout)
        XCTAssertNotEqual(dogPlain, dogBoxed)
    }

    func testDetectWithoutModelSaysWhatToPass() throws {
        let r = try CLI.run(["detect", "x.jpg", "--names", "x.names"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("detect needs --cfg FILE.cfg and --weights FILE.weights"), r.stderr)
    }

    func testBenchmarkJSON() throws {
        let cfg = try SharedData.path("models/yolov3-tiny-coco/yolov3-tiny.cfg")
        // The cfg positionally and --width alone (a square input); --json prints JSON on stdout, the text on stderr.
        let r = try CLI.run(["benchmark", cfg, "--width", "128", "--runs", "2", "--warmup", "1", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains(" 128x128, "), r.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["median_ms", "min_ms", "max_ms", "gflops", "bflops", "width", "height", "threads",
                                          "blas_core", "blas_core_reported", "cpu", "simd", "batch", "images_per_s", "peak_activation_bytes"])
        // At least the input image in floats; the planned outputs and scratch on top (MemoryPlanTests checks the saving).
        XCTAssertGreaterThan(object["peak_activation_bytes"] as? Int ?? 0, 4 * 3 * 128 * 128)
        XCTAssertEqual(object["width"] as? Int, 128)
        XCTAssertEqual(object["batch"] as? Int, 1)
        // One image per pass: images/s is 1000 / median ms.
        let ips = try XCTUnwrap(object["images_per_s"] as? Double), median = try XCTUnwrap(object["median_ms"] as? Double)
        XCTAssertEqual(ips, 1000 / median, accuracy: 1e-6 * ips + 0.01)
        XCTAssertEqual(object["height"] as? Int, 128)
        XCTAssertGreaterThan(object["gflops"] as? Double ?? 0, 0)
        XCTAssertLessThanOrEqual(object["min_ms"] as? Double ?? 1, object["median_ms"] as? Double ?? 0)
        XCTAssertFalse((object["blas_core"] as? String ?? "").isEmpty)
        XCTAssertTrue(["AVX-512", "AVX2", "AVX", "SSE"].contains(object["simd"] as? String ?? ""))
    }
}

/// The bundled model (trained by swiftnet on its shapes dataset) finds the shapes of the bundled sample.
final class BundledModelTests: XCTestCase {
    /// darknet's argument order works: `detect obj.data yolov3-tiny.cfg yolov3-tiny.weights dog.jpg`, files told apart by
    /// their extension; the same file given twice two ways is fine, two different cfgs are not.
    func testModelFilesAsPositionalArguments() throws {
        let model = try SharedData.path("models/yolov3-tiny-coco")
        let image = try SharedData.path("images/dog.jpg")
        let dir = try SharedData.temporaryDirectory()
        try "classes=80\nnames=\(model)/coco.names\n".write(toFile: dir + "/coco.data", atomically: true, encoding: .utf8)
        let r = try CLI.run(["detect", dir + "/coco.data", model + "/yolov3-tiny.cfg", model + "/yolov3-tiny.weights", image])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("\ndog: 81%\n"), r.stdout)
        let twice = try CLI.run(["detect", model + "/yolov3-tiny.cfg", "--cfg", dir + "/other.cfg", image])
        XCTAssertEqual(twice.status, 64)
        XCTAssertTrue(twice.stderr.contains("two --cfg files"), twice.stderr)
    }

    func testDetectWithoutModelOptionsUsesTheBundledModel() throws {
        let root = SharedData.projectRoot.path
        let out = try SharedData.temporaryDirectory()
        let r = try CLI.run(["detect", root + "/data/sample.jpg", "--ext-output", "--out", out + "/r.json", "--output-dir", out], directory: out)
        XCTAssertEqual(r.status, 0, r.stderr)
        // The first stdout line says which model this is and how to pass a real one.
        let first = try XCTUnwrap(r.stdout.split(separator: "\n").first)
        XCTAssertTrue(first.hasPrefix("using the bundled demo model, trained on synthetic shapes"), String(first))
        XCTAssertTrue(first.contains("--cfg yolov4.cfg --weights yolov4.weights --names coco.names"), String(first))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/sample.jpg"))
        let labels = try String(contentsOfFile: root + "/data/sample.txt", encoding: .utf8).split(separator: "\n").map { line in
            line.split(separator: " ").map { Double($0)! }
        }
        let frames = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/r.json"))) as? [[String: Any]])
        let objects = try XCTUnwrap(frames.first?["objects"] as? [[String: Any]]).filter { ($0["confidence"] as? Double ?? 0) > 0.25 }
        func iou(_ a: [Double], _ b: [Double]) -> Double {
            let w = min(a[0] + a[2] / 2, b[0] + b[2] / 2) - max(a[0] - a[2] / 2, b[0] - b[2] / 2)
            let h = min(a[1] + a[3] / 2, b[1] + b[3] / 2) - max(a[1] - a[3] / 2, b[1] - b[3] / 2)
            guard w > 0, h > 0 else { return 0 }
            return w * h / (a[2] * a[3] + b[2] * b[3] - w * h)
        }
        let found = labels.filter { label in
            objects.contains { o in
                let r = o["relative_coordinates"] as! [String: Double]
                return o["class_id"] as? Int == Int(label[0])
                    && iou([r["center_x"]!, r["center_y"]!, r["width"]!, r["height"]!], Array(label[1...])) >= 0.5
            }
        }
        XCTAssertGreaterThanOrEqual(found.count, 4, "\(objects)")
    }
}

final class ActivationCommandTests: XCTestCase {
    func testActivationsJSONMatchesADoublePrecisionMish() throws {
        let r = try CLI.run(["activations", "--from", "-20", "--to", "20", "--step", "0.25", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let x = try XCTUnwrap(object["x"] as? [Double])
        XCTAssertEqual(x.count, 161)
        XCTAssertEqual(x.first, -20)
        XCTAssertEqual(x.last, 20)
        let table = try XCTUnwrap(object["activations"] as? [String: Any])
        XCTAssertTrue(["mish", "swish", "relu", "leaky", "softplus", "hard_mish", "gelu"].allSatisfy { table[$0] != nil })
        let mish = try XCTUnwrap(table["mish"] as? [String: [Double]])
        for (i, v) in x.enumerated() {
            let e = exp(v), reference = v * tanh(log1p(e))
            let omega = 4 * (v + 1) + 4 * e * e + e * e * e + e * (4 * v + 6), delta = 2 * e + e * e + 2
            let derivative = e * omega / (delta * delta)
            XCTAssertEqual(mish["f"]![i], reference, accuracy: 5e-7 * abs(reference) + 1e-30, "mish(\(v))")
            XCTAssertEqual(mish["df"]![i], derivative, accuracy: 5e-6 * max(abs(derivative), 0.01), "mish′(\(v))")
        }
        // Text: `name x f f'` lines, only the asked-for function.
        let text = try CLI.run(["activations", "--from", "-1", "--to", "1", "--step", "1", "--activation", "relu"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertEqual(text.stdout, "activation x f(x) f'(x)\nrelu -1.0 0.0 0.0\nrelu 0.0 0.0 0.0\nrelu 1.0 1.0 1.0\n")
        let bad = try CLI.run(["activations", "--activation", "mesh"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("unknown activation 'mesh'"), bad.stderr)
    }

    func testActivationBenchmarkJSON() throws {
        let r = try CLI.run(["benchmark", "--activations", "--count", "65536", "--runs", "3", "--warmup", "1", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["count"] as? Int, 65536)
        let table = try XCTUnwrap(object["activations"] as? [String: [String: Double]])
        XCTAssertEqual(Set(table.keys), Set(ActivationNames.all))
        let mish = try XCTUnwrap(table["mish"]), relu = try XCTUnwrap(table["relu"])
        XCTAssertEqual(Set(mish.keys), ["forward_us", "forward_std_us", "backward_us", "backward_std_us", "forward_ratio", "backward_ratio"])
        XCTAssertEqual(relu["forward_ratio"], 1)
        XCTAssertEqual(mish["forward_ratio"]!, mish["forward_us"]! / relu["forward_us"]!, accuracy: 1e-9)
        let cfgToo = try CLI.run(["benchmark", "--activations", "cfg/shapes.cfg"])
        XCTAssertEqual(cfgToo.status, 64)
    }
}

/// The benchmarked names, written out (every element-wise cfg activation plus softplus).
enum ActivationNames {
    static let all = ["linear", "logistic", "loggy", "relu", "relu6", "elu", "selu", "gelu", "relie", "ramp", "leaky", "revleaky",
                      "tanh", "plse", "stair", "hardtan", "lhtan", "swish", "mish", "hard_mish", "softplus"]
}
