import ArgumentParser
import Foundation
import SwiftnetCore
import SwiftnetEval
import SwiftnetFormat

@main
struct SwiftnetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftnet",
        abstract: "Darknet-compatible object detection and classification: reads .cfg and .weights files unchanged.",
        discussion: """
        Exit status: 0 success, 64 usage error, 65 bad input data (cfg, weights, images, labels, lists), \
        74 I/O error (a file that cannot be read or written), 128+N stopped by signal N (130 Ctrl-C, 143 SIGTERM).
        """,
        version: RuntimeInfo.versionText,
        subcommands: [Detect.self, Classify.self, Train.self, CheckData.self, Augment.self, Map.self, Valid.self, Dataset.self, Cfg.self,
                      CalcAnchors.self, Partial.self, Layers.self, Benchmark.self, Activations.self, Plot.self, Ablate.self, Serve.self]
    )

    /// Parses and runs a command; every error is one `error: …` line (usage errors with the usage after it) and a
    /// documented exit status.
    static func main() async {
        // A closed stdout or stderr (`swiftnet … | head -1`) ends the printing, not the program.
        signal(SIGPIPE, SIG_IGN)
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch let error as SwiftnetError {
            Distributed.fail("error: \(error.description)", code: error.exitStatus)
        } catch let error as EvalError {
            Distributed.fail("error: \(error.description)", code: 65)
        } catch {
            let code = exitCode(for: error)
            if code == .success || code.rawValue >= 128 || error is ExitCode || error is CleanExit {
                if error is CleanExit || code == .success {
                    print(fullMessage(for: error))
                }
                Distributed.exit(code.rawValue)
            }
            var message = fullMessage(for: error)
            if message.hasPrefix("Error: ") { message = "error: " + message.dropFirst("Error: ".count) }
            Distributed.fail(message, code: code == .validationFailure ? 64 : code.rawValue)
        }
    }
}

extension SwiftnetError {
    /// 65 for bad input data, 74 for a file that cannot be read or written, 64 for an impossible request.
    public var exitStatus: Int32 {
        switch self {
        case .cfg, .data, .weights, .image: return 65
        case .file(_, let message): return message.hasPrefix("cannot ") ? 74 : 65
        case .invalid: return 64
        }
    }
}

/// Runs a command body. Library errors propagate to `main`, which prints them and picks the exit status.
func reportingErrors(_ body: () throws -> Void) throws {
    try body()
}

/// Progress counters on stderr: overwritten in place on a terminal, whole lines (at most one a second) otherwise.
enum Progress {
    nonisolated(unsafe) static var lineOpen = false
    nonisolated(unsafe) static var lastLine = Date.distantPast
    static let isTerminal = isatty(STDERR_FILENO) == 1
}

/// Writes to stderr; a closed stderr is ignored.
func writeStderr(_ text: String) {
    fputs(text, stderr)
    fflush(stderr)
}

func printError(_ message: String) {
    let prefix = Progress.lineOpen ? "\n" : ""
    Progress.lineOpen = false
    writeStderr(prefix + message + "\n")
}

/// Ends the progress counter's line, if one is open.
func endProgress() {
    guard Progress.lineOpen else { return }
    Progress.lineOpen = false
    writeStderr("\n")
}

/// Shows a progress counter on stderr (`final` forces a line when stderr is not a terminal).
func printProgress(_ text: String, final: Bool = false) {
    if Progress.isTerminal {
        Progress.lineOpen = true
        writeStderr("\r" + text)
    } else if final || Date().timeIntervalSince(Progress.lastLine) >= 1 {
        Progress.lastLine = Date()
        writeStderr(text + "\n")
    }
}

/// Configures thread counts for the kernels and OpenBLAS; `--threads` must be 1…1024, and more than the cores is
/// clamped to the core count with a warning. Ranks of an `mpirun` job on one machine share its cores by default.
func configureThreads(_ threads: Int?) throws {
    let machineCores = max(1, ProcessInfo.processInfo.activeProcessorCount)
    let ranks = Distributed.ranksOnThisMachine
    let cores = max(1, machineCores / ranks)
    if let threads, !(1...1024).contains(threads) {
        throw SwiftnetError.invalid("--threads \(threads): must be 1…1024")
    }
    var count = threads ?? cores
    if count > cores {
        if Distributed.isLeader {
            printError(ranks > 1
                ? "warning: --threads \(count) is more than this rank's share of the cores (\(machineCores) cores for the \(ranks) ranks on this machine); using \(cores)"
                : "warning: --threads \(count) is more than the \(cores) cores of this machine; using \(cores)")
        }
        count = cores
    }
    Parallel.threads = max(1, count)
    Gemm.configure()
}
