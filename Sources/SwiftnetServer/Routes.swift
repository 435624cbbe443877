import Foundation
import Hummingbird
import Metrics
import MultipartKit
import NIOCore
import Prometheus
import Swiftnet

/// An error answered as JSON: `{"error": {"status": 400, "message": "…"}}`, with extra headers (Retry-After).
struct APIError: Error {
    var status: HTTPResponse.Status
    var message: String
    var headers: HTTPFields = [:]
}

enum JSONBody {
    static func response(_ status: HTTPResponse.Status, _ object: Any, headers: HTTPFields = [:]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return encoded(status, data, headers: headers)
    }

    static func encoded(_ status: HTTPResponse.Status, _ data: Data, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
        response(status, ["error": ["status": Int(status.code), "message": message]], headers: headers)
    }
}

/// The form of a multipart upload: its `image` field.
struct Upload: Decodable {
    var image: Data
}

enum Routes {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func register(on router: Router<BasicRequestContext>, slot: ModelSlot, configuration: ServeConfiguration,
                         registry: PrometheusCollectorRegistry) {
        let queueGauge = Gauge(label: "swiftnet_queue_depth")

        router.get("/healthz") { _, _ -> Response in
            if slot.model != nil { return JSONBody.response(.ok, ["status": "ok"]) }
            if let error = slot.error { return JSONBody.response(.serviceUnavailable, ["status": "failed", "message": error]) }
            return JSONBody.response(.serviceUnavailable, ["status": "loading"])
        }

        router.get("/metrics") { _, _ -> Response in
            if let model = slot.model { queueGauge.record(model.queueDepth) }
            var text: [UInt8] = []
            registry.emit(into: &text)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }

        router.get("/v1/models") { _, _ -> Response in
            let model = try ready(slot)
            return JSONBody.response(.ok, ["models": [model.info]])
        }

        router.get("/") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: Page.html)))
        }

        router.post("/v1/detect") { request, _ -> Response in
            let model = try ready(slot)
            guard let detector = model.detector else {
                throw APIError(status: .badRequest, message: "the model is a classifier: POST images to /v1/classify")
            }
            var options = configuration.options
            let query = request.uri.queryParameters
            if let value = query.get("thresh") {
                guard let t = Float(value), (0...1).contains(t) else { throw APIError(status: .badRequest, message: "thresh=\(value): expected a number in [0, 1]") }
                options.threshold = t
            }
            if let value = query.get("nms") {
                guard let n = Float(value), (0...1).contains(n) else { throw APIError(status: .badRequest, message: "nms=\(value): expected a number in [0, 1]") }
                options.nms = n
            }
            if let value = query.get("letterbox") {
                guard let flag = parseBool(value) else { throw APIError(status: .badRequest, message: "letterbox=\(value): expected true/false or 1/0") }
                options.letterbox = flag
            }
            let image = try await imageBody(request, maxBody: configuration.maxBody)
            queueGauge.record(detector.queueDepth)
            let result = try await run { try await detector.detect(data: image, options: options) }
            return JSONBody.encoded(.ok, try Routes.encoder.encode(result))
        }

        router.post("/v1/classify") { request, _ -> Response in
            let model = try ready(slot)
            guard let classifier = model.classifier else {
                throw APIError(status: .badRequest, message: "the model is a detector: POST images to /v1/detect")
            }
            var top: Int?
            if let value = request.uri.queryParameters.get("top") {
                guard let k = Int(value), k >= 1 else { throw APIError(status: .badRequest, message: "top=\(value): expected a positive integer") }
                top = k
            }
            let image = try await imageBody(request, maxBody: configuration.maxBody)
            let result = try await run { try await classifier.classify(data: image, top: top) }
            return JSONBody.encoded(.ok, try Routes.encoder.encode(result))
        }
    }

    static func ready(_ slot: ModelSlot) throws -> ServedModel {
        guard let model = slot.model else {
            throw APIError(status: .serviceUnavailable, message: slot.error.map { "the model failed to load: \($0)" } ?? "the model is still loading",
                           headers: [.retryAfter: "1"])
        }
        return model
    }

    static func parseBool(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "1", "true", "yes": return true
        case "0", "false", "no": return false
        default: return nil
        }
    }

    /// Runs a model call, turning its errors into answers: a full queue is 503 with Retry-After, an image that does
    /// not decode is 400 with the decoder's reason.
    static func run<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DetectorError {
            switch error {
            case .overloaded: throw APIError(status: .serviceUnavailable, message: error.localizedDescription, headers: [.retryAfter: "1"])
            case .closed: throw APIError(status: .serviceUnavailable, message: "the server is stopping")
            }
        } catch let error as SwiftnetError {
            throw APIError(status: .badRequest, message: error.description.replacingOccurrences(of: "<data>: ", with: "the body: "))
        }
    }

    /// The uploaded image: the raw body (JPEG, PNG or octet-stream) or the `image` field of a multipart form.
    static func imageBody(_ request: Request, maxBody: Int) async throws -> Data {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBody {
            throw APIError(status: .contentTooLarge, message: "the body is \(length) bytes; at most \(maxBody) are accepted")
        }
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        let media = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let accepted = ["image/jpeg", "image/jpg", "image/png", "application/octet-stream", "multipart/form-data", ""]
        guard accepted.contains(media) else {
            throw APIError(status: .unsupportedMediaType,
                           message: "content type '\(media)': send a JPEG or PNG (image/jpeg, image/png, application/octet-stream) or a multipart form with an 'image' field")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBody)
        } catch is NIOTooManyBytesError {
            throw APIError(status: .contentTooLarge, message: "the body is larger than \(maxBody) bytes")
        }
        guard buffer.readableBytes > 0 else { throw APIError(status: .badRequest, message: "the body is empty: send a JPEG or PNG image") }
        if media == "multipart/form-data" {
            guard let boundary = contentType.split(separator: ";").compactMap({ part -> String? in
                let p = part.trimmingCharacters(in: .whitespaces)
                return p.hasPrefix("boundary=") ? String(p.dropFirst("boundary=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) : nil
            }).first else {
                throw APIError(status: .badRequest, message: "multipart/form-data without a boundary")
            }
            do {
                return try FormDataDecoder().decode(Upload.self, from: buffer, boundary: boundary).image
            } catch {
                throw APIError(status: .badRequest, message: "the multipart form has no readable 'image' field")
            }
        }
        return Data(buffer: buffer)
    }
}

/// Errors as JSON answers; an unknown route is a JSON 404.
struct JSONErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return JSONBody.error(error.status, error.message, headers: error.headers)
        } catch let error as HTTPError {
            let message = error.status == .notFound ? "no route \(request.method) \(request.uri.path)" : (error.body ?? error.status.reasonPhrase)
            return JSONBody.error(error.status, message)
        } catch let error as any HTTPResponseError {
            return JSONBody.error(error.status, "\(error)")
        } catch {
            return JSONBody.error(.internalServerError, error.localizedDescription)
        }
    }
}

/// `Authorization: Bearer KEY` on every route but `/healthz` and the page (whose requests carry the key typed in).
struct BearerMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let key: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path == "/healthz" || (path == "/" && request.method == .get) { return try await next(request, context) }
        guard request.headers[.authorization] == "Bearer " + key else {
            throw APIError(status: .unauthorized, message: "this server needs 'Authorization: Bearer <key>'",
                           headers: [.wwwAuthenticate: "Bearer"])
        }
        return try await next(request, context)
    }
}

/// Requests by route and status, and their latency.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    static let routes: Set<String> = ["/", "/healthz", "/metrics", "/v1/models", "/v1/detect", "/v1/classify"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let route = Self.routes.contains(request.uri.path) ? request.uri.path : "unknown"
        let response = try await next(request, context)
        Counter(label: "swiftnet_requests_total", dimensions: [("route", route), ("status", String(response.status.code))]).increment()
        Timer(label: "swiftnet_request_duration_seconds", dimensions: [("route", route)])
            .recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start))
        return response
    }
}
