import Crypto
import Foundation
import Hummingbird
import Logging
import Metrics
import MultipartKit
import NIOCore
import Prometheus
import ServiceLifecycle
import Swiftnet
import SwiftnetFormat

/// What `swiftnet serve` runs.
public struct ServeConfiguration: Sendable {
    public var cfg: String
    public var weights: String
    public var names: String?
    /// The address to listen on; loopback unless said otherwise.
    public var host = "127.0.0.1"
    public var port = 8080
    /// Images one network pass may take, and how long a pass waits for more once one request is waiting.
    public var maxBatch = 4
    public var maxWaitMilliseconds = 5.0
    /// Requests that may wait for the network; more are answered 503 at once.
    public var queue = 64
    /// Largest request body in bytes (413 above).
    public var maxBody = 16 * 1024 * 1024
    /// Bearer token every route but `/healthz` and the page needs; nil: no authentication.
    public var apiKey: String?
    /// Seconds in-flight requests may take to finish after SIGTERM/SIGINT.
    public var drainSeconds = 10.0
    /// Detection defaults when a request gives none.
    public var options = DetectionOptions()

    public init(cfg: String, weights: String, names: String?) {
        self.cfg = cfg
        self.weights = weights
        self.names = names
    }
}

/// The model behind the service: a detector or a classifier, with what `/v1/models` says about it.
struct ServedModel: Sendable {
    enum Kind: Sendable {
        case detector(Detector)
        case classifier(Classifier)
    }

    var kind: Kind
    var info: [String: any Sendable]

    var detector: Detector? { if case .detector(let d) = kind { return d } else { return nil } }
    var classifier: Classifier? { if case .classifier(let c) = kind { return c } else { return nil } }
    var queueDepth: Int {
        switch kind {
        case .detector(let d): return d.queueDepth
        case .classifier: return 0
        }
    }
}

/// The model once loaded and warmed up; until then the service answers 503 (and `/healthz` says it is loading).
final class ModelSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var value: ServedModel?
    private var failure: String?

    var model: ServedModel? { lock.withLock { value } }
    var error: String? { lock.withLock { failure } }
    func set(_ model: ServedModel) { lock.withLock { value = model } }
    func fail(_ message: String) { lock.withLock { failure = message } }
}

/// `swiftnet serve`: darknet detection (or classification) over HTTP.
///
/// Routes: `POST /v1/detect` (body: a JPEG or PNG, raw or as multipart field `image`; query `thresh`, `nms`,
/// `letterbox`), `POST /v1/classify` (query `top`), `GET /v1/models`, `GET /healthz`, `GET /metrics` (Prometheus),
/// `GET /` (a page to try it). Errors are JSON: `{"error": {"status": …, "message": …}}`.
public enum DetectionServer {
    /// Runs until SIGTERM or SIGINT, then stops accepting, lets in-flight requests finish (at most
    /// `drainSeconds`) and returns. `log` receives the service's own lines (listening, loaded, stopping).
    public static func run(_ configuration: ServeConfiguration, log: @escaping @Sendable (String) -> Void) async throws {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets["swiftnet_batch_size"] = (1...max(1, configuration.maxBatch)).map(Double.init)
        factory.durationHistogramBuckets["swiftnet_request_duration_seconds"] =
            [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10].map { Duration.milliseconds(Int64($0 * 1000)) }
        MetricsSystem.bootstrap(factory)

        let slot = ModelSlot()
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware())
        router.add(middleware: JSONErrorMiddleware())
        if let key = configuration.apiKey { router.add(middleware: BearerMiddleware(key: key)) }
        Routes.register(on: router, slot: slot, configuration: configuration, registry: registry)

        var logger = Logger(label: "swiftnet.serve")
        logger.logLevel = .warning
        let app = Application(router: router,
                              configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "swiftnet"),
                              onServerRunning: { channel in
                                  log("listening on http://\(configuration.host):\(channel.localAddress?.port ?? configuration.port)")
                              },
                              logger: logger)
        let loader = ModelLoader(configuration: configuration, slot: slot, log: log)
        var group = ServiceGroupConfiguration(services: [.init(service: app), .init(service: loader, successTerminationBehavior: .ignore)],
                                              gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = .milliseconds(Int64(configuration.drainSeconds * 1000))
        try await ServiceGroup(configuration: group).run()
        log("stopped")
    }

    /// Loads the model (a detector when the cfg has `[yolo]`/`[region]` heads, else a classifier) and warms it
    /// up with one pass.
    static func load(_ configuration: ServeConfiguration) async throws -> ServedModel {
        let data = try Data(contentsOf: URL(fileURLWithPath: configuration.weights), options: .mappedIfSafe)
        let sha = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        var info: [String: any Sendable] = ["cfg": configuration.cfg, "weights": configuration.weights, "weights_sha256": sha]
        let blank = RGBPixels(width: 64, height: 64, bytes: [UInt8](repeating: 127, count: 64 * 64 * 3))
        if try NetworkConfig(contentsOf: configuration.cfg).outputHeads?.isDetector ?? true {
            let detector = try Detector(cfg: configuration.cfg, weights: configuration.weights, names: configuration.names,
                                        options: configuration.options, maxBatch: configuration.maxBatch,
                                        maxWait: configuration.maxWaitMilliseconds / 1000, maxQueue: configuration.queue)
            _ = try await detector.detect(pixels: blank)
            detector.onPass { batch, _ in Recorder(label: "swiftnet_batch_size", aggregate: true).record(batch) }
            info["kind"] = "detector"
            info["input"] = ["width": detector.inputWidth, "height": detector.inputHeight]
            info["classes"] = detector.names.count
            info["names"] = detector.names
            return ServedModel(kind: .detector(detector), info: info)
        } else {
            let classifier = try Classifier(cfg: configuration.cfg, weights: configuration.weights, names: configuration.names,
                                            maxQueue: configuration.queue)
            _ = try await classifier.classify(pixels: blank)
            info["kind"] = "classifier"
            info["input"] = ["width": classifier.inputWidth, "height": classifier.inputHeight]
            info["classes"] = classifier.names.count
            info["names"] = classifier.names
            return ServedModel(kind: .classifier(classifier), info: info)
        }
    }
}

/// Loads the model as a service of the group, so the server listens (and `/healthz` answers) meanwhile.
struct ModelLoader: Service {
    let configuration: ServeConfiguration
    let slot: ModelSlot
    let log: @Sendable (String) -> Void

    func run() async throws {
        let start = Date()
        do {
            slot.set(try await DetectionServer.load(configuration))
            log(String(format: "model loaded and warmed up in %.1f s: %@", Date().timeIntervalSince(start), configuration.cfg))
        } catch {
            slot.fail(error.localizedDescription)
            log("error: \(error.localizedDescription)")
            throw error
        }
    }
}
