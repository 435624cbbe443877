import Foundation

/// What a training run reports as it goes, typed: a front end formats them (``message``: darknet-like lines), an
/// experiment records them (``Ablation`` keeps the losses), tests inspect them. Only rank 0 of a distributed job
/// emits them.
public enum TrainingEvent: Sendable {
    /// Something about the run worth a line: the data, skipped images, memory, partial weights, multi-scale, EMA.
    case note(String)
    /// A setting or input that does not stop the run but probably is not what was meant.
    case warning(String)
    /// Inside a long iteration (at most every 10 s): images done of this iteration so far.
    case progress(iteration: Int, maxBatches: Int, images: Int, of: Int, imagesPerSecond: Double, secondsLeft: Double)
    /// An iteration finished: its update is applied.
    case iteration(IterationReport)
    /// Weights written: `_N` every `save_weights` iterations, `_last` every `save_last` (not printed, as in darknet).
    case checkpoint(kind: CheckpointKind, path: String)
    /// A `--map` evaluation of the current weights; `savedBest` when it is the best so far.
    case evaluation(metric: String, value: Float, best: Float, savedBest: String?)
    /// A data or disk error stopped the run; what was trained is in `savedPath`.
    case stoppedByError(iteration: Int, savedPath: String)

    public enum CheckpointKind: Sendable, Equatable {
        case numbered(Int), last, ema
    }

    /// One finished iteration.
    public struct IterationReport: Sendable {
        public var iteration: Int
        public var maxBatches: Int
        public var loss: Float
        /// darknet's running average (0.9·avg + 0.1·loss).
        public var averageLoss: Float
        public var learningRate: Float
        public var seconds: Double
        public var imagesPerSecond: Double
        public var secondsLeft: Double
        /// The input size, when multi-scale training changed it from the cfg's.
        public var size: (width: Int, height: Int)?
    }

    /// The line a console prints for this event (darknet's wording where darknet has one); nil for silent events.
    public var message: String? {
        switch self {
        case .note(let text): return text
        case .warning(let text): return "warning: " + text
        case let .progress(iteration, maxBatches, images, of, rate, left):
            return String(format: "%6d/%d: %d of %d images, %.2f img/s, ETA %@", iteration, maxBatches, images, of, rate, formatDuration(left))
        case .iteration(let r):
            return String(format: "%6d/%d: loss %.4f, avg %.4f, rate %.6f, %.2f s, %.1f img/s, ETA %@%@", r.iteration, r.maxBatches,
                          Double(r.loss), Double(r.averageLoss), Double(r.learningRate), r.seconds, r.imagesPerSecond,
                          formatDuration(r.secondsLeft), r.size.map { " (\($0.width)×\($0.height))" } ?? "")
        case let .checkpoint(kind, path):
            if case .numbered = kind { return "saved \(path)" }
            return nil
        case let .evaluation(metric, value, best, savedBest):
            if let savedBest { return String(format: "%@ = %.6f — new best, saved %@", metric, Double(value), savedBest) }
            return String(format: "%@ = %.6f (best %.6f)", metric, Double(value), Double(best))
        case let .stoppedByError(iteration, path):
            return "stopped by an error at iteration \(iteration); saved \(path) (resume from it after fixing the problem)"
        }
    }
}
