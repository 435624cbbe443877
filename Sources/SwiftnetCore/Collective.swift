import Foundation

/// The processes that train or evaluate together (data parallelism): one per rank, all running the same program.
///
/// `SingleProcess` is the default. `swiftnet` started by `mpirun` uses the MPI implementation (module
/// `SwiftnetMPI`); the training loop and the evaluators only see this protocol, so MPI enters in one place.
/// Every method is collective: all ranks call it in the same order.
public protocol Collective: AnyObject {
    /// This process's rank, 0 ..< `size`.
    var rank: Int { get }
    /// The number of ranks.
    var size: Int { get }
    /// Sums `count` floats at `buffer` over all ranks, in place.
    func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws
    /// Sums doubles over all ranks.
    func allreduceSum(_ values: [Double]) throws -> [Double]
    /// The maximum of doubles over all ranks.
    func allreduceMax(_ values: [Double]) throws -> [Double]
    /// Starts summing `count` floats at `buffer` without waiting; ``waitAll()`` finishes every started sum.
    func startAllreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws
    /// Lets started sums advance (MPI progresses only inside its calls).
    func progress() throws
    /// Waits for every started sum.
    func waitAll() throws
    /// Rank 0 receives every rank's bytes, in rank order; the other ranks receive nil.
    func gather(_ bytes: [UInt8]) throws -> [[UInt8]]?
    /// Stops every rank of the job at once with `code` (after an error on one rank).
    func abort(code: Int32) -> Never
}

extension Collective {
    /// Whether this process speaks for the job (prints, writes checkpoints and reports).
    public var isLeader: Bool { rank == 0 }
    /// Whether more than one rank takes part.
    public var isDistributed: Bool { size > 1 }

    /// The part of `0..<count` that rank `rank` handles: consecutive, as equal as possible, in rank order.
    public func share(of count: Int) -> Range<Int> { Self.share(of: count, rank: rank, size: size) }

    public static func share(of count: Int, rank: Int, size: Int) -> Range<Int> {
        let lower = count * rank / size, upper = count * (rank + 1) / size
        return lower..<upper
    }
}

/// One process: every collective is the identity.
public final class SingleProcess: Collective {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) {}
    public func allreduceSum(_ values: [Double]) -> [Double] { values }
    public func allreduceMax(_ values: [Double]) -> [Double] { values }
    public func startAllreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) {}
    public func progress() {}
    public func waitAll() {}
    public func gather(_ bytes: [UInt8]) -> [[UInt8]]? { [bytes] }
    public func abort(code: Int32) -> Never { exit(code) }
}

/// A collective operation that failed (a rank died, a message was lost).
public struct CollectiveError: Error, CustomStringConvertible {
    public var rank: Int
    public var operation: String
    public var message: String
    public init(rank: Int, operation: String, message: String) {
        self.rank = rank
        self.operation = operation
        self.message = message
    }
    public var description: String { "rank \(rank): \(operation) failed: \(message)" }
}
