import Dispatch

/// Produces `count` items in order, computing item k+1 on a background queue while the caller uses item k
/// (image decoding overlaps the network's forward pass).
public final class Prefetcher<T> {
    private final class Slot: @unchecked Sendable {
        var result: Result<T, Error>?
        let ready = DispatchSemaphore(value: 0)
        let work: () throws -> T

        init(_ work: @escaping () throws -> T) { self.work = work }

        func fill() {
            result = Result { try work() }
            ready.signal()
        }
    }

    private let count: Int
    private let make: (Int) throws -> T
    private var next = 0
    private var pending: Slot?
    private let queue = DispatchQueue(label: "swiftnet.prefetch")

    public init(count: Int, _ make: @escaping (Int) throws -> T) {
        self.count = count
        self.make = make
        schedule()
    }

    private func schedule() {
        guard next < count else { pending = nil; return }
        let index = next
        next += 1
        let make = self.make
        let slot = Slot { try make(index) }
        queue.async { slot.fill() }
        pending = slot
    }

    /// The next item (rethrowing its error), or nil after the last one.
    public func nextItem() throws -> T? {
        guard let slot = pending else { return nil }
        slot.ready.wait()
        schedule()
        return try slot.result!.get()
    }

    deinit { pending?.ready.wait() }
}
