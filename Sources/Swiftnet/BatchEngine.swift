import Foundation

/// Why a request was not run.
public enum DetectorError: Error, LocalizedError, Sendable, Equatable {
    /// The queue of waiting requests is full (its bound is the `maxQueue` the model was opened with).
    case overloaded(queued: Int)
    /// The model was closed.
    case closed

    public var errorDescription: String? {
        switch self {
        case .overloaded(let queued): return "\(queued) requests are already waiting; try again shortly"
        case .closed: return "the model is closed"
        }
    }
}

/// How one request went through the engine.
struct PassInfo: Sendable {
    var queueMilliseconds: Double
    var inferenceMilliseconds: Double
    var batchSize: Int
}

/// Runs one network on its own thread and groups requests that arrive together into batches: a pass takes up to
/// `maxBatch` waiting requests, waiting at most `maxWait` seconds for more once the first is there. Requests beyond
/// `maxQueue` waiting ones are refused at once (``DetectorError/overloaded(queued:)``).
final class BatchEngine<Input: Sendable, Output: Sendable>: @unchecked Sendable {
    private struct Request {
        var input: Input
        var enqueued: UInt64
        var continuation: CheckedContinuation<(Output, PassInfo), Error>
    }

    private let condition = NSCondition()
    private var queue: [Request] = []
    private var stopped = false
    let maxBatch: Int
    let maxWait: Double
    let maxQueue: Int
    /// Runs one batch on the engine's thread; one result per input.
    private let run: ([Input]) -> [Result<Output, Error>]
    /// Called after each pass with its size (metrics).
    var observer: (@Sendable (_ batch: Int, _ milliseconds: Double) -> Void)?

    init(maxBatch: Int, maxWait: Double, maxQueue: Int, run: @escaping ([Input]) -> [Result<Output, Error>]) {
        self.maxBatch = max(1, maxBatch)
        self.maxWait = max(0, maxWait)
        self.maxQueue = max(1, maxQueue)
        self.run = run
        let thread = Thread { [self] in self.loop() }
        thread.name = "swiftnet-engine"
        thread.start()
    }

    /// Requests waiting for a pass (not counting the one running).
    var queueDepth: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count
    }

    func submit(_ input: Input) async throws -> (Output, PassInfo) {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            if stopped {
                condition.unlock()
                continuation.resume(throwing: DetectorError.closed)
                return
            }
            if queue.count >= maxQueue {
                let queued = queue.count
                condition.unlock()
                continuation.resume(throwing: DetectorError.overloaded(queued: queued))
                return
            }
            queue.append(Request(input: input, enqueued: DispatchTime.now().uptimeNanoseconds, continuation: continuation))
            condition.signal()
            condition.unlock()
        }
    }

    /// Finishes the waiting requests, then stops the thread.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if queue.isEmpty {
                condition.unlock()
                return
            }
            if queue.count < maxBatch && maxWait > 0 && !stopped {
                let deadline = Date(timeIntervalSinceNow: maxWait)
                while queue.count < maxBatch && !stopped && condition.wait(until: deadline) {}
            }
            let batch = Array(queue.prefix(maxBatch))
            queue.removeFirst(batch.count)
            condition.unlock()

            let start = DispatchTime.now().uptimeNanoseconds
            let results = run(batch.map(\.input))
            let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            observer?(batch.count, milliseconds)
            for (request, result) in zip(batch, results) {
                let info = PassInfo(queueMilliseconds: Double(start - request.enqueued) / 1e6, inferenceMilliseconds: milliseconds,
                                    batchSize: batch.count)
                switch result {
                case .success(let output): request.continuation.resume(returning: (output, info))
                case .failure(let error): request.continuation.resume(throwing: error)
                }
            }
        }
    }
}
