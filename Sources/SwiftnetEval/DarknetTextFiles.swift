import Foundation
import SwiftnetFormat

/// darknet's plain-text inputs for evaluation: `.names`, image lists and `.data` files, read with the format layer's
/// rules (CR before LF dropped, nothing else trimmed).
public enum DarknetTextFiles {
    /// Lines of a file the way darknet's `fgetl` returns them; a final newline does not add an empty line.
    public static func readLines(path: String) throws -> [String] {
        var lines = textLines(try readTextFile(path))
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Class names, one per line.
    public static func readNames(path: String) throws -> [String] { try NamesFile.read(path) }

    /// Image paths of a darknet list, used verbatim; empty lines are skipped.
    public static func readImageList(path: String) throws -> [String] {
        try readLines(path: path).filter { !$0.isEmpty }
    }

    /// `key=value` pairs of a darknet `.data` file (first occurrence of a key wins).
    public static func readDataFile(path: String) throws -> [String: String] {
        try DataFile(contentsOf: path).entries.mapValues(\.value)
    }
}
