import Foundation
import SwiftnetCore
import SwiftnetMPI

/// The job this process belongs to: the ranks of an `mpirun` launch, or one process (no MPI activity at all).
enum Distributed {
    nonisolated(unsafe) private static var active: Collective?

    /// Initialises MPI when `mpirun` started this process; the same ranks on every later call.
    static func collective() throws -> Collective {
        if let active { return active }
        let made: Collective = try MPICollective.launched() ?? SingleProcess()
        active = made
        return made
    }

    /// Whether this process prints: rank 0, or a process on its own.
    /// Known before MPI starts (from the launcher's environment), so that option and cfg messages are printed once too.
    static var isLeader: Bool { active?.isLeader ?? ((MPICollective.launcherRank ?? 0) == 0) }

    /// "rank R: " before an error of a distributed job (any rank may fail alone), else nothing.
    static var errorPrefix: String {
        if let active { return active.isDistributed ? "rank \(active.rank): " : "" }
        guard let rank = MPICollective.launcherRank, (MPICollective.launcherSize ?? 1) > 1 else { return "" }
        return "rank \(rank): "
    }

    /// Prints a failure and ends the process. In a distributed job every rank usually meets the same error (the
    /// same files and options), and rank 0 speaks for all: the other ranks wait 2 s first, so that rank 0's abort
    /// ends them before they print; an error of one rank alone is still printed, after the wait.
    static func fail(_ message: String, code: Int32) -> Never {
        if !isLeader && !errorPrefix.isEmpty { sleep(2) }
        printError(errorPrefix + message)
        exit(code)
    }

    /// Ends the process; a failing rank of a distributed job stops every rank (MPI_Abort) instead of leaving them
    /// waiting in a collective. A stop by signal (128+N: mpirun forwards Ctrl-C as SIGTERM to every rank) is no
    /// failure: each rank exits on its own, so that rank 0 is not aborted while it saves `_last`.
    static func exit(_ code: Int32) -> Never {
        if code != 0 && code < 128, let active, active.isDistributed { active.abort(code: code) }
        Foundation.exit(code)
    }

    /// Ranks sharing this machine's cores (1 without mpirun).
    static var ranksOnThisMachine: Int {
        MPICollective.isLaunched ? max(1, MPICollective.ranksOnThisMachine ?? 1) : 1
    }
}
