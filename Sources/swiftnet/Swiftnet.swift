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

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Configures thread counts for the kernels and OpenBLAS.
func configureThreads(_ threads: Int?) {
    let n = threads ?? ProcessInfo.processInfo.activeProcessorCount
    Parallel.threads = max(1, n)
    Gemm.configure()
}
