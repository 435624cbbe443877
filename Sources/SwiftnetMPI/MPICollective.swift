import CMPI
import Foundation
import SwiftnetCore

/// The ranks of an `mpirun` job (Open MPI), as a ``Collective``.
///
/// Create it with ``launched()``: it initialises MPI only when the process was started by a launcher, so the same
/// binary run on its own stays one process with no MPI activity.
public final class MPICollective: Collective {
    public let rank: Int
    public let size: Int
    private var pending: [UnsafeMutablePointer<UnsafeMutableRawPointer?>] = []

    private init() throws {
        let rc = sn_mpi_init()
        guard rc == MPI_SUCCESS else { throw CollectiveError(rank: -1, operation: "MPI_Init", message: Self.describe(rc)) }
        rank = Int(sn_mpi_rank())
        size = Int(sn_mpi_size())
        // MPI_Finalize at a normal exit; an error exit aborts the job instead (see abort(code:)).
        atexit { if sn_mpi_initialized() != 0 && sn_mpi_finalized() == 0 { sn_mpi_finalize() } }
    }

    nonisolated(unsafe) private static var shared: MPICollective?

    /// Whether an MPI launcher started this process (Open MPI's, or a PMI/PMIx one).
    public static var isLaunched: Bool {
        let environment = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"].contains { environment[$0] != nil }
    }

    /// The job's ranks when started by `mpirun`, else nil (one process, MPI untouched).
    public static func launched() throws -> MPICollective? {
        guard isLaunched else { return nil }
        if let shared { return shared }
        let made = try MPICollective()
        shared = made
        return made
    }

    /// The number of ranks on this machine (Open MPI's local size), to divide the cores among them.
    /// This process's rank as the launcher announced it (before MPI is initialised), nil without a launcher.
    public static var launcherRank: Int? {
        let environment = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"].lazy.compactMap { environment[$0].flatMap(Int.init) }.first
    }

    /// The job's size as the launcher announced it, nil without a launcher.
    public static var launcherSize: Int? {
        let environment = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"].lazy.compactMap { environment[$0].flatMap(Int.init) }.first
    }

    public static var ranksOnThisMachine: Int? {
        ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init)
    }

    private static func describe(_ code: Int32) -> String {
        let capacity = Int(sn_mpi_max_error_string()) + 1
        var text = [CChar](repeating: 0, count: capacity)
        sn_mpi_error_string(code, &text, Int32(capacity))
        return String(cString: text)
    }

    private func check(_ rc: Int32, _ operation: String) throws {
        guard rc == MPI_SUCCESS else { throw CollectiveError(rank: rank, operation: operation, message: Self.describe(rc)) }
    }

    private static func int32Count(_ count: Int, _ operation: String, rank: Int) throws -> Int32 {
        guard let n = Int32(exactly: count) else {
            throw CollectiveError(rank: rank, operation: operation, message: "\(count) elements is more than one MPI message holds")
        }
        return n
    }

    public func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        var offset = 0
        // MPI counts are 32-bit: very large arrays go in pieces.
        while offset < count {
            let n = min(count - offset, 1 << 30)
            try check(sn_mpi_allreduce_sum_float(buffer + offset, Int32(n)), "MPI_Allreduce")
            offset += n
        }
    }

    public func allreduceSum(_ values: [Double]) throws -> [Double] {
        var result = values
        let n = try Self.int32Count(values.count, "MPI_Allreduce", rank: rank)
        try check(result.withUnsafeMutableBufferPointer { sn_mpi_allreduce_sum_double($0.baseAddress, n) }, "MPI_Allreduce")
        return result
    }

    public func allreduceMax(_ values: [Double]) throws -> [Double] {
        var result = values
        let n = try Self.int32Count(values.count, "MPI_Allreduce", rank: rank)
        try check(result.withUnsafeMutableBufferPointer { sn_mpi_allreduce_max_double($0.baseAddress, n) }, "MPI_Allreduce")
        return result
    }

    public func startAllreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        var offset = 0
        while offset < count {
            let n = min(count - offset, 1 << 30)
            let request = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 1)
            request.initialize(to: nil)
            try check(sn_mpi_iallreduce_sum_float(buffer + offset, Int32(n), request), "MPI_Iallreduce")
            pending.append(request)
            offset += n
        }
    }

    public func progress() throws {
        guard let first = pending.first else { return }
        var done: Int32 = 0
        try check(sn_mpi_test(first, &done), "MPI_Test")
    }

    public func waitAll() throws {
        defer {
            for request in pending { request.deallocate() }
            pending.removeAll()
        }
        for request in pending { try check(sn_mpi_wait(request), "MPI_Wait") }
    }

    public func gather(_ bytes: [UInt8]) throws -> [[UInt8]]? {
        var counts = [Int64](repeating: 0, count: size)
        try check(counts.withUnsafeMutableBufferPointer { sn_mpi_allgather_int64(Int64(bytes.count), $0.baseAddress) }, "MPI_Allgather")
        let total = counts.reduce(0, +)
        guard total <= Int64(Int32.max) else {
            throw CollectiveError(rank: rank, operation: "MPI_Gatherv", message: "\(total) bytes is more than one MPI message holds")
        }
        let counts32 = counts.map { Int32($0) }
        var offsets = [Int32](repeating: 0, count: size)
        for i in 1..<max(1, size) { offsets[i] = offsets[i - 1] + counts32[i - 1] }
        var receive = [UInt8](repeating: 0, count: rank == 0 ? Int(total) : 1)
        let rc = bytes.withUnsafeBytes { send in
            receive.withUnsafeMutableBytes { target in
                sn_mpi_gatherv_bytes(send.baseAddress, Int32(bytes.count), target.baseAddress, counts32, offsets, 0)
            }
        }
        try check(rc, "MPI_Gatherv")
        guard rank == 0 else { return nil }
        return (0..<size).map { Array(receive[Int(offsets[$0])..<Int(offsets[$0] + counts32[$0])]) }
    }

    public func abort(code: Int32) -> Never {
        fflush(stdout)
        fflush(stderr)
        sn_mpi_abort(code)
        exit(code)
    }
}
