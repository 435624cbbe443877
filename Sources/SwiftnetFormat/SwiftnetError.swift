import Foundation

/// Errors the swiftnet library throws. Each names the file it concerns (and the line, where there is one);
/// the CLI prints `description` and exits non-zero.
public enum SwiftnetError: Error, CustomStringConvertible, Equatable {
    /// A problem in a `.cfg` file; rendered `path:line: message`.
    case cfg(path: String, line: Int?, message: String)
    /// A problem in a `.data`, `.names`, list or label file; rendered `path:line: message`.
    case data(path: String, line: Int?, message: String)
    /// A `.weights` file that does not fit its cfg, or cannot be read or written.
    case weights(path: String, message: String)
    /// An image that cannot be read, decoded or written.
    case image(path: String, message: String)
    /// A file that is missing or cannot be read or written.
    case file(path: String, message: String)
    /// An invalid request (bad option combination, unsupported feature).
    case invalid(String)

    public var description: String {
        switch self {
        case let .cfg(path, line, message), let .data(path, line, message):
            if let line { return "\(path):\(line): \(message)" }
            return "\(path): \(message)"
        case let .weights(path, message), let .image(path, message), let .file(path, message):
            return "\(path): \(message)"
        case let .invalid(message):
            return message
        }
    }
}

extension SwiftnetError {
    /// Runs `body`, turning an ``invalid(_:)`` error into a ``cfg(path:line:message:)`` error naming the cfg file
    /// whose values were rejected.
    public static func attributing<T>(toCfg path: String, line: Int?, _ body: () throws -> T) throws -> T {
        do { return try body() } catch SwiftnetError.invalid(let message) { throw SwiftnetError.cfg(path: path, line: line, message: message) }
    }

    /// Runs `body`, turning an ``invalid(_:)`` error into a ``data(path:line:message:)`` error naming the data file.
    public static func attributing<T>(toData path: String, line: Int?, _ body: () throws -> T) throws -> T {
        do { return try body() } catch SwiftnetError.invalid(let message) { throw SwiftnetError.data(path: path, line: line, message: message) }
    }
}

/// A non-fatal remark about an input file (e.g. an unused cfg key), with its location.
public struct Diagnostic: Equatable, CustomStringConvertible, Sendable {
    public var path: String
    public var line: Int?
    public var message: String

    public init(path: String, line: Int?, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(path):\(line): \(message)" }
        return "\(path): \(message)"
    }
}

extension SwiftnetError: LocalizedError {
    /// The same message the command-line tool prints.
    public var errorDescription: String? { description }
}
