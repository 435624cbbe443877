import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import XCTest

/// `swiftnet serve` on 127.0.0.1 with a real HTTP client (URLSession).
final class ServeTests: XCTestCase {
    /// A running `swiftnet serve` on a free port.
    final class Server {
        let process = Process()
        var port = 0
        private let lock = NSLock()
        private var errText = ""
        var stderr: String { lock.withLock { errText } }

        init(_ arguments: [String], environment: [String: String] = [:]) throws {
            process.executableURL = CLI.executable
            process.arguments = ["serve", "--port", "0"] + arguments
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            err.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                guard let self, !data.isEmpty else { return }
                self.lock.withLock { self.errText += String(decoding: data, as: UTF8.self) }
            }
            try process.run()
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline && process.isRunning {
                if let match = stderr.firstMatch(of: #/listening on http://127\.0\.0\.1:(\d+)/#), stderr.contains("warmed up") {
                    port = Int(match.1)!
                    return
                }
                usleep(20_000)
            }
            throw XCTSkip("the server did not start: \(stderr)")
        }

        func stop(_ signal: Int32 = SIGTERM) -> Int32 {
            if process.isRunning { kill(process.processIdentifier, signal) }
            process.waitUntilExit()
            return process.terminationStatus
        }

        deinit { if process.isRunning { process.terminate() } }
    }

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: Data
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
        var errorMessage: String? { (json?["error"] as? [String: Any])?["message"] as? String }
    }

    func request(_ server: Server, _ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)\(path)")!)
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = 60
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let done = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable { var reply: Reply?; var error: Error? }
        let box = Box()
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let http = response as? HTTPURLResponse {
                var fields: [String: String] = [:]
                for (k, v) in http.allHeaderFields { fields[String(describing: k).lowercased()] = String(describing: v) }
                box.reply = Reply(status: http.statusCode, headers: fields, body: data ?? Data())
            } else {
                box.error = error
            }
            done.signal()
        }.resume()
        done.wait()
        if let reply = box.reply { return reply }
        throw box.error ?? URLError(.badServerResponse)
    }

    func model() throws -> [String] {
        let dir = try SharedData.path("models/yolov3-tiny-coco")
        return [dir + "/yolov3-tiny.cfg", dir + "/yolov3-tiny.weights", dir + "/coco.names"]
    }

    /// The service answers the same objects as `swiftnet detect --out` for the same files and options.
    func testAnswersWhatDetectWrites() throws {
        let server = try Server(try model())
        let images = try ["dog", "eagle", "person"].map { try SharedData.path("images/\($0).jpg") }
        let out = try SharedData.temporaryDirectory() + "/r.json"
        let cli = try CLI.run(["detect"] + images + (try model()) + ["--out", out, "--thresh", "0.2"])
        XCTAssertEqual(cli.status, 0, cli.stderr)
        let frames = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [[String: Any]])
        for (image, frame) in zip(images, frames) {
            let reply = try request(server, "POST", "/v1/detect?thresh=0.2", body: try Data(contentsOf: URL(fileURLWithPath: image)),
                                    headers: ["Content-Type": "image/jpeg"])
            XCTAssertEqual(reply.status, 200, String(decoding: reply.body, as: UTF8.self))
            XCTAssertEqual(reply.headers["content-type"], "application/json; charset=utf-8")
            let objects = try XCTUnwrap(reply.json?["objects"] as? [[String: Any]])
            let expected = try XCTUnwrap(frame["objects"] as? [[String: Any]])
            XCTAssertEqual(objects.count, expected.count, image)
            for (a, b) in zip(objects, expected) {
                XCTAssertEqual(a["name"] as? String, b["name"] as? String)
                XCTAssertEqual(a["class_id"] as? Int, b["class_id"] as? Int)
                XCTAssertEqual(try XCTUnwrap(a["confidence"] as? Double), try XCTUnwrap(b["confidence"] as? Double), accuracy: 0.001)
                let ra = try XCTUnwrap(a["relative_coordinates"] as? [String: Double]), rb = try XCTUnwrap(b["relative_coordinates"] as? [String: Double])
                for key in ["center_x", "center_y", "width", "height"] { XCTAssertEqual(ra[key]!, rb[key]!, accuracy: 0.001, key) }
            }
            let size = try XCTUnwrap(reply.json?["image_size"] as? [String: Int])
            XCTAssertNotNil(size["width"])
            XCTAssertNotNil((reply.json?["timing"] as? [String: Any])?["inference_ms"])
        }
        // The same upload as a multipart form.
        let boundary = "swiftnet-test-boundary"
        var form = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"dog.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n".utf8)
        form += try Data(contentsOf: URL(fileURLWithPath: images[0]))
        form += Data("\r\n--\(boundary)--\r\n".utf8)
        let multipart = try request(server, "POST", "/v1/detect?thresh=0.2", body: form, headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"])
        XCTAssertEqual(multipart.status, 200, String(decoding: multipart.body, as: UTF8.self))
        XCTAssertEqual((multipart.json?["objects"] as? [[String: Any]])?.count, (frames[0]["objects"] as? [[String: Any]])?.count)

        // The model's description and the metrics.
        let models = try request(server, "GET", "/v1/models")
        let info = try XCTUnwrap((models.json?["models"] as? [[String: Any]])?.first)
        XCTAssertEqual(info["kind"] as? String, "detector")
        XCTAssertEqual(info["classes"] as? Int, 80)
        let sha = Process()
        sha.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        sha.arguments = [try model()[1]]
        let pipe = Pipe()
        sha.standardOutput = pipe
        try sha.run()
        let digest = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64)
        sha.waitUntilExit()
        XCTAssertEqual(info["weights_sha256"] as? String, String(digest))
        let metrics = String(decoding: try request(server, "GET", "/metrics").body, as: UTF8.self)
        XCTAssertTrue(metrics.contains("swiftnet_requests_total{route=\"/v1/detect\",status=\"200\"} 4"), metrics)
        XCTAssertTrue(metrics.contains("swiftnet_request_duration_seconds_bucket{route=\"/v1/detect\""), metrics)
        XCTAssertTrue(metrics.contains("swiftnet_batch_size_count"), metrics)
        XCTAssertTrue(metrics.contains("swiftnet_queue_depth"), metrics)
        XCTAssertEqual(server.stop(), 0)
    }

    /// Each bad request gets its documented status and a JSON error; none stops the server.
    func testBadRequestsGetJSONErrors() throws {
        let server = try Server(try model() + ["--max-body", "2000000"])
        let jpeg = try Data(contentsOf: URL(fileURLWithPath: try SharedData.path("images/dog.jpg")))
        func check(_ reply: Reply, _ status: Int, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertEqual(reply.status, status, String(decoding: reply.body, as: UTF8.self), file: file, line: line)
            XCTAssertTrue(reply.errorMessage?.contains(fragment) == true, "\(reply.errorMessage ?? "no JSON error")", file: file, line: line)
        }
        check(try request(server, "POST", "/v1/detect", body: Data(), headers: ["Content-Type": "image/jpeg"]), 400, "the body is empty")
        check(try request(server, "POST", "/v1/detect", body: jpeg.prefix(jpeg.count / 2), headers: ["Content-Type": "image/jpeg"]), 400, "truncated")
        check(try request(server, "POST", "/v1/detect", body: Data(count: 50 * 1024 * 1024), headers: ["Content-Type": "image/jpeg"]), 413, "at most 2000000")
        check(try request(server, "POST", "/v1/detect", body: Data("{}".utf8), headers: ["Content-Type": "application/json"]), 415, "content type 'application/json'")
        check(try request(server, "GET", "/v2/nothing"), 404, "no route GET /v2/nothing")
        check(try request(server, "POST", "/v1/detect?thresh=2", body: jpeg, headers: ["Content-Type": "image/jpeg"]), 400, "thresh=2")
        check(try request(server, "POST", "/v1/classify", body: jpeg, headers: ["Content-Type": "image/jpeg"]), 400, "POST images to /v1/detect")
        XCTAssertEqual(try request(server, "GET", "/healthz").status, 200, "still serving")
        XCTAssertEqual(server.stop(), 0)

        // With an API key: every route but /healthz (and the page) needs it.
        let keyed = try Server(try model(), environment: ["SWIFTNET_API_KEY": "s3cret"])
        check(try request(keyed, "GET", "/v1/models"), 401, "Authorization: Bearer")
        check(try request(keyed, "GET", "/v1/models", headers: ["Authorization": "Bearer wrong"]), 401, "Authorization: Bearer")
        check(try request(keyed, "GET", "/metrics"), 401, "Authorization: Bearer")
        XCTAssertEqual(try request(keyed, "GET", "/v1/models", headers: ["Authorization": "Bearer s3cret"]).status, 200)
        XCTAssertEqual(try request(keyed, "GET", "/healthz").status, 200)
        let page = try request(keyed, "GET", "/")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(String(decoding: page.body, as: UTF8.self).contains("<canvas id=\"canvas\""))
        XCTAssertEqual(keyed.stop(SIGINT), 0)
    }

    /// A small queue under load: 503 with Retry-After for the excess, 200 for the rest, nothing else.
    func testOverloadAnswers503() throws {
        let server = try Server(try model() + ["--queue", "1", "--max-batch", "1", "--max-wait-ms", "0"])
        let jpeg = try Data(contentsOf: URL(fileURLWithPath: try SharedData.path("images/dog.jpg")))
        final class Tally: @unchecked Sendable { let lock = NSLock(); var statuses: [Int] = []; var retryAfter: [String?] = [] }
        let tally = Tally()
        let configuration = URLSessionConfiguration.default
        configuration.httpMaximumConnectionsPerHost = 32
        let session = URLSession(configuration: configuration)
        let group = DispatchGroup()
        for _ in 0..<24 {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)/v1/detect")!)
            request.httpMethod = "POST"
            request.httpBody = jpeg
            request.setValue("image/jpeg", forHTTPHeaderField: "Content-Type")
            group.enter()
            session.dataTask(with: request) { _, response, _ in
                if let http = response as? HTTPURLResponse {
                    tally.lock.withLock {
                        tally.statuses.append(http.statusCode)
                        if http.statusCode == 503 { tally.retryAfter.append(http.value(forHTTPHeaderField: "Retry-After")) }
                    }
                }
                group.leave()
            }.resume()
        }
        group.wait()
        XCTAssertEqual(tally.statuses.count, 24)
        XCTAssertEqual(Set(tally.statuses).subtracting([200, 503]), [], "\(tally.statuses)")
        XCTAssertTrue(tally.statuses.contains(503), "\(tally.statuses)")
        XCTAssertTrue(tally.statuses.contains(200), "\(tally.statuses)")
        XCTAssertEqual(Set(tally.retryAfter.compactMap { $0 }), ["1"])
        XCTAssertEqual(server.stop(), 0)
    }

    /// SIGTERM during a request: it completes, then the server exits 0.
    func testTerminationDrainsInFlightRequests() throws {
        let server = try Server(try model() + ["--max-wait-ms", "300", "--max-batch", "8"])
        let jpeg = try Data(contentsOf: URL(fileURLWithPath: try SharedData.path("images/dog.jpg")))
        final class Box: @unchecked Sendable { var reply: Reply? }
        let box = Box()
        let sent = DispatchSemaphore(value: 0), finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            sent.signal()
            box.reply = try? self.request(server, "POST", "/v1/detect", body: jpeg, headers: ["Content-Type": "image/jpeg"])
            finished.signal()
        }
        thread.start()
        sent.wait()
        usleep(150_000)   // the request waits 300 ms for a batch to fill
        XCTAssertEqual(server.stop(SIGTERM), 0, server.stderr)
        finished.wait()
        XCTAssertEqual(box.reply?.status, 200, server.stderr)
        XCTAssertTrue(server.stderr.contains("stopped"), server.stderr)
    }
}
