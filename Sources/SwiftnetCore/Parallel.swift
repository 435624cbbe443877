import Dispatch
import Foundation

/// The one place that decides how work is split across cores (besides OpenBLAS's own threads for GEMM).
public enum Parallel {
    /// The default worker count: networks take it when they are built (their plan keeps it from then on), and
    /// kernels without per-thread scratch use it when called without `threads`.
    nonisolated(unsafe) public static var threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `body(range)` over `0..<count` split into at most `threads` contiguous chunks; runs inline when the work
    /// is smaller than `grain` items.
    @inline(__always)
    public static func chunks(_ count: Int, grain: Int = 1, threads: Int = Parallel.threads, _ body: (Range<Int>) -> Void) {
        let workers = min(max(1, threads), max(1, count / max(1, grain)))
        if workers <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = count * w / workers
            let hi = count * (w + 1) / workers
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Runs `body(task, worker)` for `count` tasks on at most `threads` workers; `worker` in `0..<threads` identifies
    /// per-thread scratch memory (sized for the same `threads`). Tasks are handed out dynamically.
    public static func tasks(_ count: Int, threads: Int = Parallel.threads, _ body: (Int, Int) -> Void) {
        let workers = min(max(1, threads), count)
        if workers <= 1 {
            for t in 0..<count { body(t, 0) }
            return
        }
        let next = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        next.initialize(to: 0)
        defer { next.deallocate() }
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            while true {
                lock.lock()
                let t = next.pointee
                next.pointee += 1
                lock.unlock()
                if t >= count { break }
                body(t, worker)
            }
        }
    }
}
