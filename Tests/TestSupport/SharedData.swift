import Foundation
import XCTest

/// Locations of the shared, read-only test inputs (`../shared` next to the project) and of the built executable.
public enum SharedData {
    /// The project root (the folder holding Package.swift).
    public static let projectRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    /// `../shared`, or `$SWIFTNET_SHARED`; nil when absent.
    public static let root: URL? = {
        if let env = ProcessInfo.processInfo.environment["SWIFTNET_SHARED"] {
            return URL(fileURLWithPath: env)
        }
        let candidate = projectRoot.deletingLastPathComponent().appendingPathComponent("shared")
        return FileManager.default.fileExists(atPath: candidate.appendingPathComponent("oracle").path) ? candidate : nil
    }()

    /// A path inside the shared folder, or an XCTSkip when the folder is absent.
    public static func path(_ relative: String) throws -> String {
        guard let root else { throw XCTSkip("../shared is not available") }
        let p = root.appendingPathComponent(relative).path
        guard FileManager.default.fileExists(atPath: p) else { throw XCTSkip("\(relative) is not available") }
        return p
    }

    /// A fresh temporary directory for one test.
    public static func temporaryDirectory(_ name: String = #function) throws -> String {
        let clean = name.filter { $0.isLetter || $0.isNumber }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("swiftnet-tests-\(clean)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }
}

/// Runs the built `swiftnet` executable.
public enum CLI {
    public struct Result {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// Terminated by a signal (crash or trap) rather than exiting.
        public var crashed: Bool
    }

    /// The `swiftnet` binary next to the test bundle.
    public static var executable: URL {
        let candidates = [Bundle.main.bundleURL.deletingLastPathComponent(), Bundle.main.bundleURL,
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        for dir in candidates {
            let url = dir.appendingPathComponent("swiftnet")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return SharedData.projectRoot.appendingPathComponent(".build/release/swiftnet")
    }

    @discardableResult
    public static func run(_ arguments: [String], directory: String? = nil, environment: [String: String] = [:]) throws -> Result {
        try launch(executable, arguments, directory: directory, environment: environment)
    }

    /// Runs any program (`swiftnet`, or a launcher such as `mpirun` in front of it) and collects its output.
    public static func launch(_ program: URL, _ arguments: [String], directory: String? = nil, environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        final class Box: @unchecked Sendable { var data = Data() }
        let outBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outBox.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let outData = outBox.data
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self), crashed: process.terminationReason == .uncaughtSignal)
    }
}
