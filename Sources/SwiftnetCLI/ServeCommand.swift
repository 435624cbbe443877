import ArgumentParser
import CKernels
import Foundation
import SwiftnetFormat
import SwiftnetServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve detection (or classification) over HTTP: POST /v1/detect, /v1/classify; GET /v1/models, /healthz, /metrics, / (a page to try it).",
        discussion: """
        Without model options it serves the bundled demo model. Requests that arrive together run as one batch (up to \
        --max-batch images, waiting at most --max-wait-ms); beyond --queue waiting requests the answer is 503 with \
        Retry-After. Bodies over --max-body bytes get 413, bodies that are not a JPEG or PNG 400, unknown routes 404, all \
        with a JSON error. With --api-key (or SWIFTNET_API_KEY) every route but /healthz and the page needs \
        'Authorization: Bearer KEY'. SIGTERM or SIGINT stops accepting and lets in-flight requests finish (at most \
        --drain-s seconds), then exits 0.
        Example: curl --data-binary @dog.jpg -H 'Content-Type: image/jpeg' 'http://127.0.0.1:8080/v1/detect?thresh=0.25'
        """)

    @Argument(help: ".cfg, .weights and .names files, taken as --cfg, --weights and --names.")
    var files: [String] = []

    @OptionGroup var model: ModelOptions

    @Option(help: "Address to listen on (loopback by default; 0.0.0.0 serves every interface).")
    var host = "127.0.0.1"

    @Option(parsing: .unconditional, help: "Port (0: any free one, printed when listening).")
    var port = 8080

    @Option(parsing: .unconditional, help: "Images one network pass may take.")
    var maxBatch = 4

    @Option(parsing: .unconditional, help: "Milliseconds a pass waits for more requests once one is waiting.")
    var maxWaitMs: Double = 5

    @Option(parsing: .unconditional, help: "Requests that may wait for the network; more get 503.")
    var queue = 64

    @Option(parsing: .unconditional, help: "Largest request body in bytes.")
    var maxBody = 16 * 1024 * 1024

    @Option(help: "Require 'Authorization: Bearer KEY' (default: $SWIFTNET_API_KEY if set).")
    var apiKey: String?

    @Option(parsing: .unconditional, help: "Seconds in-flight requests may take to finish after SIGTERM/SIGINT.")
    var drainS: Double = 10

    @Option(parsing: .unconditional, help: "Default detection threshold (a request's ?thresh= overrides it).")
    var thresh: Float = 0.25

    @Option(parsing: .unconditional, help: "Default NMS overlap (a request's ?nms= overrides it).")
    var nms: Float = 0.45

    @Option(parsing: .unconditional, help: "Worker threads (default: all cores).")
    var threads: Int?

    mutating func validate() throws {
        if let unknown = try model.absorb(files).first { throw ValidationError("unexpected argument '\(unknown)' (model files end in .cfg, .weights or .names)") }
        files = []
        if model.data != nil { throw ValidationError("serve takes --names for class names, not --data") }
        if (model.cfg == nil) != (model.weights == nil) { throw ValidationError("give --cfg and --weights together (or neither, for the bundled demo model)") }
        if !(0...65535).contains(port) { throw ValidationError("--port must be 0…65535") }
        if maxBatch < 1 || maxBatch > 256 { throw ValidationError("--max-batch must be 1…256") }
        if maxWaitMs < 0 { throw ValidationError("--max-wait-ms must not be negative") }
        if queue < 1 { throw ValidationError("--queue must be at least 1") }
        if maxBody < 1 { throw ValidationError("--max-body must be at least 1") }
        if drainS < 0 { throw ValidationError("--drain-s must not be negative") }
        if !(0...1).contains(thresh) { throw ValidationError("--thresh must be in [0, 1]") }
        if !(0...1).contains(nms) { throw ValidationError("--nms must be in [0, 1]") }
        if apiKey?.isEmpty == true { throw ValidationError("--api-key must not be empty") }
    }

    func run() async throws {
        // Resident memory stays flat under sustained load (measured by scripts/loadtest.sh) instead of creeping up
        // with allocator fragmentation: two arenas, and image-sized buffers mapped and unmapped.
        _ = sn_bound_allocator(2, 256 * 1024)
        try configureThreads(threads)
        var model = self.model
        if model.cfg == nil {
            guard let root = BundledModel.root() else {
                throw SwiftnetError.invalid("no --cfg given and the bundled demo model is not found; give --cfg, --weights and --names")
            }
            model.cfg = root + "/" + BundledModel.cfg
            model.weights = root + "/" + BundledModel.weights
            model.names = root + "/" + BundledModel.names
            printError("serving the bundled demo model (synthetic shapes); pass --cfg/--weights/--names for your own")
        }
        for path in [model.cfg!, model.weights!] + (model.names.map { [$0] } ?? []) where !FileManager.default.fileExists(atPath: path) {
            throw SwiftnetError.file(path: path, message: "no such file")
        }
        var configuration = ServeConfiguration(cfg: model.cfg!, weights: model.weights!, names: model.names)
        configuration.host = host
        configuration.port = port
        configuration.maxBatch = maxBatch
        configuration.maxWaitMilliseconds = maxWaitMs
        configuration.queue = queue
        configuration.maxBody = maxBody
        configuration.apiKey = apiKey ?? ProcessInfo.processInfo.environment["SWIFTNET_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        configuration.drainSeconds = drainS
        configuration.options.threshold = thresh
        configuration.options.nms = nms
        try await DetectionServer.run(configuration) { line in
            printError(line)
        }
    }
}
