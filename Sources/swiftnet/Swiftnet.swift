import ArgumentParser
import Foundation
import SwiftnetCore
import SwiftnetEval
import SwiftnetFormat

@main
struct Swiftnet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftnet",
        abstract: "Darknet-compatible object detection and classification: reads .cfg and .weights files unchanged.",
        subcommands: [Detect.self, Classify.self, Train.self, CheckData.self, Augment.self, Map.self, Valid.self, Dataset.self, Cfg.self,
                      CalcAnchors.self, Partial.self, Layers.self, Benchmark.self]
    )
}

/// Runs a command body, turning library errors into one clear line on stderr and a non-zero exit.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as SwiftnetError {
        printError("error: \(error.description)")
        throw ExitCode.failure
    } catch let error as EvalError {
        printError("error: \(error.description)")
        throw ExitCode.failure
    }
}

/// Whether a `\r` progress counter is the last thing on stderr (so the next message starts on a new line).
nonisolated(unsafe) private var progressLineOpen = false

func printError(_ message: String) {
    let prefix = progressLineOpen ? "\n" : ""
    progressLineOpen = false
    FileHandle.standardError.write(Data((prefix + message + "\n").utf8))
}

/// Ends the progress counter's line, if one is open.
func endProgress() {
    guard progressLineOpen else { return }
    progressLineOpen = false
    FileHandle.standardError.write(Data("\n".utf8))
}

/// Overwrites the progress counter on stderr (`\r` and the text, no newline).
func printProgress(_ text: String) {
    progressLineOpen = true
    FileHandle.standardError.write(Data(("\r" + text).utf8))
}

/// Configures thread counts for the kernels and OpenBLAS; `--threads` must be 1…1024.
func configureThreads(_ threads: Int?) throws {
    if let threads, !(1...1024).contains(threads) {
        throw SwiftnetError.invalid("--threads \(threads): must be 1…1024")
    }
    Parallel.threads = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
    Gemm.configure()
}
