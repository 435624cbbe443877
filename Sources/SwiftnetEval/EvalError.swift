import Foundation

/// Errors raised while loading evaluation inputs or running a protocol.
///
/// Every case that comes from a file names that file, and the line (1-based) where it is known,
/// so a message can be shown to a user as is.
public enum EvalError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file could not be opened or read.
    case unreadableFile(path: String, reason: String)
    /// A JSON file is not well-formed, or does not have the shape the loader expects
    /// (missing key, wrong value type, wrong array length).
    case invalidJSON(path: String, line: Int, column: Int, reason: String)
    /// A YOLO label line is not `class x_center y_center width height`, or its class is out of range.
    case invalidLabel(path: String, line: Int, reason: String)
    /// A darknet text input (`.data`, `.names`, image list) is unusable.
    case invalidTextFile(path: String, line: Int, reason: String)
    /// The inputs are individually valid but inconsistent (duplicate ids, class count mismatch, ...).
    case inconsistentInput(String)
    /// A protocol cannot run on these inputs (for example COCO without image sizes).
    case protocolUnavailable(protocol: String, reason: String)

    /// A one-line message naming the file and line where known.
    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            return "\(path): cannot read file: \(reason)"
        case let .invalidJSON(path, line, column, reason):
            return "\(path):\(line):\(column): invalid JSON: \(reason)"
        case let .invalidLabel(path, line, reason):
            return "\(path):\(line): invalid label line: \(reason)"
        case let .invalidTextFile(path, line, reason):
            return line > 0 ? "\(path):\(line): \(reason)" : "\(path): \(reason)"
        case let .inconsistentInput(message):
            return "inconsistent evaluation input: \(message)"
        case let .protocolUnavailable(name, reason):
            return "\(name) evaluation unavailable: \(reason)"
        }
    }
}

extension EvalError: LocalizedError {
    /// The same message the command-line tool prints.
    public var errorDescription: String? { description }
}
